import PITRSupport

/// Two storages read as one, for `restore` and `dump-fetch` with a second repository (TAILTOWN_REPO2): each object is
/// read from the first that has it, the second asked when the first answers that it is missing or cannot be reached,
/// with a warning naming the second; a listing is the union of both (the first's entry where both hold a key), or the
/// one that answers. What is written goes to the first. An object that fails its checks in the first (altered, cut
/// short, another key) is the decoder's to find: it reads the second's copy instead (`Repository.otherCopy`).
public final class FallbackStorage: ForwardingStorage {
    public var first: Storage { base }
    public let second: Storage
    package let log: Log

    public init(first: Storage, second: Storage, log: Log) {
        self.second = second
        self.log = log
        super.init(base: first)
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

    public override func size(of key: String) throws -> Int? { try reading(key) { try $0.size(of: key) } }
    public override func openForReading(_ key: String) throws -> ByteSource { try present(key) { try $0.openForReading(key) } }
    /// Each object through `openForReading`, from the first that has it.
    public override func openSequence(_ keys: [String]) -> ObjectSequence { ObjectsInTurn(storage: self, keys: keys) }
    public override func readTail(of key: String, count: Int) throws -> [UInt8] { try present(key) { try $0.readTail(of: key, count: count) } }
    public override func readHead(of key: String, count: Int) throws -> [UInt8] { try present(key) { try $0.readHead(of: key, count: count) } }

    public override func listObjects(prefix: String) throws -> [StoredObject] {
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

    /// A thaw is asked of the repository that holds the object: the first, else the second.
    public override func archivedState(of key: String) throws -> ArchivedState? {
        do { return try first.archivedState(of: key) } catch StorageError.notFound { return try second.archivedState(of: key) }
    }
    public override func requestThaw(of key: String, tier: ThawTier, days: Int) throws -> ThawRequestOutcome {
        do { return try first.requestThaw(of: key, tier: tier, days: days) } catch StorageError.notFound {
            return try second.requestThaw(of: key, tier: tier, days: days)
        }
    }
}
