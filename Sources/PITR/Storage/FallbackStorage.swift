import PITRSupport

/// Two storages read as one, for `restore` and `dump-fetch` with a second repository (TAILTOWN_REPO2): each object is
/// read from the first that has it, the second asked when the first answers that it is missing or cannot be reached,
/// with a warning naming the second; a listing is the union of both (the first's entry where both hold a key), or the
/// one that answers. What is written goes to the first. An object that fails its checks in the first (altered, cut
/// short, another key) is the decoder's to find: it reads the second's copy instead (`Repository.otherCopy`).
public final class FallbackStorage: Storage {
    public let first: Storage
    public let second: Storage
    package let log: Log

    public init(first: Storage, second: Storage, log: Log) {
        self.first = first
        self.second = second
        self.log = log
    }

    /// `read` on the first, else on the second when the first has no such object or cannot be reached.
    private func reading<T>(_ key: String, _ read: (Storage) throws -> T?) throws -> T? {
        do {
            if let value = try read(first) { return value }
        } catch let error as StorageError {
            guard let value = try? read(second) else { throw error }
            log.warning("\(first.describe(key)) cannot be read (\(error.description)): read from the second repository \(second.describe(key))")
            return value
        }
        guard let value = try read(second) else { return nil }
        log.warning("\(first.describe(key)) does not exist: read from the second repository \(second.describe(key))")
        return value
    }

    private func present<T>(_ key: String, _ read: (Storage) throws -> T) throws -> T {
        guard let value = try reading(key, { storage -> T? in
            do { return try read(storage) } catch StorageError.notFound { return nil }
        }) else { throw StorageError.notFound(object: first.describe(key)) }
        return value
    }

    public func describe(_ key: String) -> String { first.describe(key) }
    public func size(of key: String) throws -> Int? { try reading(key) { try $0.size(of: key) } }
    public func openForReading(_ key: String) throws -> ByteSource { try present(key) { try $0.openForReading(key) } }
    public func readTail(of key: String, count: Int) throws -> [UInt8] { try present(key) { try $0.readTail(of: key, count: count) } }
    public func readHead(of key: String, count: Int) throws -> [UInt8] { try present(key) { try $0.readHead(of: key, count: count) } }

    public func listObjects(prefix: String) throws -> [StoredObject] {
        let listings = [first, second].map { storage in Result { try storage.listObjects(prefix: prefix) } }
        switch (listings[0], listings[1]) {
        case (.success(let one), .success(let other)):
            var merged = Dictionary(other.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            for object in one { merged[object.key] = object }
            return merged.values.sorted { $0.key < $1.key }
        case (.success(let one), .failure(let error)):
            log.warning("the second repository \(second.describe("")) cannot be listed, reading \(first.describe("")) alone: \(error)")
            return one
        case (.failure(let error), .success(let other)):
            log.warning("\(first.describe("")) cannot be listed (\(error)): reading the second repository \(second.describe("")) alone")
            return other
        case (.failure(let error), .failure):
            throw error
        }
    }

    public var uploadsAreIndependent: Bool { first.uploadsAreIndependent }
    public func startUpload(_ key: String) throws -> Upload { try first.startUpload(key) }
    public func makeDurable(_ key: String) throws { try first.makeDurable(key) }
    public func abandonedUploads(under prefix: String, startedBefore cutoff: UTCTime) throws -> [AbandonedUpload] {
        try first.abandonedUploads(under: prefix, startedBefore: cutoff)
    }
    public func discard(_ uploads: [AbandonedUpload]) throws { try first.discard(uploads) }
    public func remove(_ key: String) throws { try first.remove(key) }
    @discardableResult
    public func remove(keys: [String]) throws -> [LockedObject] { try first.remove(keys: keys) }
    public var requests: RequestCounts? { first.requests }
    public var objectLock: S3ObjectLock? { first.objectLock }
    public func lockEnd(of key: String) throws -> UTCTime? { try first.lockEnd(of: key) }
    /// A thaw is asked of the repository that holds the object: the first, else the second.
    public func archivedState(of key: String) throws -> ArchivedState? {
        do { return try first.archivedState(of: key) } catch StorageError.notFound { return try second.archivedState(of: key) }
    }
    public func requestThaw(of key: String, tier: ThawTier, days: Int) throws -> ThawRequestOutcome {
        do { return try first.requestThaw(of: key, tier: tier, days: days) } catch StorageError.notFound {
            return try second.requestThaw(of: key, tier: tier, days: days)
        }
    }
}
