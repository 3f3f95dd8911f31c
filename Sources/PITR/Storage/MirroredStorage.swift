import PITRSupport

/// Two storages written as one: what `backup-push` and `dump-push` store goes to the first and, in the same pass over
/// the encoded bytes, to the second (TAILTOWN_REPO2), so the server is read once. Everything is read from the first.
/// The second never fails the first: once a write to it fails, the object is aborted there and `secondFailures` says
/// which (the command reports it, and `status` shows the difference as the copy's lag).
public final class MirroredStorage: Storage {
    public let first: Storage
    public let second: Storage
    private let log: Log
    /// The objects the second did not get, with why.
    public private(set) var secondFailures: [(key: String, reason: String)] = []

    public init(first: Storage, second: Storage, log: Log) {
        self.first = first
        self.second = second
        self.log = log
    }

    func secondFailed(_ key: String, _ error: Error) {
        let reason = (error as? PITRError)?.description ?? "\(error)"
        if secondFailures.isEmpty { log.warning("\(second.describe(key)) is not written, the rest goes to \(first.describe("")) alone: \(reason)") }
        secondFailures.append((key, reason))
    }

    public func describe(_ key: String) -> String { first.describe(key) }
    public func size(of key: String) throws -> Int? { try first.size(of: key) }
    public func openForReading(_ key: String) throws -> ByteSource { try first.openForReading(key) }
    public func openSequence(_ keys: [String]) -> ObjectSequence { first.openSequence(keys) }
    public func readTail(of key: String, count: Int) throws -> [UInt8] { try first.readTail(of: key, count: count) }
    public func readHead(of key: String, count: Int) throws -> [UInt8] { try first.readHead(of: key, count: count) }
    public var uploadsAreIndependent: Bool { false }
    public func listObjects(prefix: String) throws -> [StoredObject] { try first.listObjects(prefix: prefix) }
    public var requests: RequestCounts? { first.requests }
    public var objectLock: S3ObjectLock? { first.objectLock }
    public func checkLocking() throws { try first.checkLocking() }
    public func checkConditionalWrites() throws -> Bool { try first.checkConditionalWrites() }
    public func lockEnd(of key: String) throws -> UTCTime? { try first.lockEnd(of: key) }
    public func extendLock(of key: String, until: UTCTime) throws { try first.extendLock(of: key, until: until) }
    public func hiddenObjects(prefix: String) throws -> [String] { try first.hiddenObjects(prefix: prefix) }
    public var storageClasses: S3StorageClasses? { first.storageClasses }
    public func tag(_ key: String, tier: S3StorageClasses.Tier) throws { try first.tag(key, tier: tier) }
    public func keepTransitionRules() throws -> Bool { try first.keepTransitionRules() }
    public func archivedState(of key: String) throws -> ArchivedState? { try first.archivedState(of: key) }
    public func requestThaw(of key: String, tier: ThawTier, days: Int) throws -> ThawRequestOutcome {
        try first.requestThaw(of: key, tier: tier, days: days)
    }
    public func removeNoncurrentVersions(now: UTCTime) throws -> (removed: Int, locked: [LockedObject]) {
        try first.removeNoncurrentVersions(now: now)
    }
    /// The first's: an abandoned upload's handle belongs to its storage.
    public func abandonedUploads(under prefix: String, startedBefore cutoff: UTCTime) throws -> [AbandonedUpload] {
        try first.abandonedUploads(under: prefix, startedBefore: cutoff)
    }
    public func discard(_ uploads: [AbandonedUpload]) throws { try first.discard(uploads) }

    /// After the second failed once, the rest of the run goes to the first alone: an unreachable second would otherwise
    /// cost its retries on every object.
    public func startUpload(_ key: String) throws -> Upload {
        let upload = try first.startUpload(key)
        guard secondFailures.isEmpty else { return MirroredUpload(key: key, first: upload, second: nil, storage: self) }
        do {
            return MirroredUpload(key: key, first: upload, second: try second.startUpload(key), storage: self)
        } catch {
            secondFailed(key, error)
            return MirroredUpload(key: key, first: upload, second: nil, storage: self)
        }
    }

    public func makeDurable(_ key: String) throws {
        try first.makeDurable(key)
        do { try second.makeDurable(key) } catch { secondFailed(key, error) }
    }

    public func remove(_ key: String) throws {
        try first.remove(key)
        do { try second.remove(key) } catch { secondFailed(key, error) }
    }

    @discardableResult
    public func remove(keys: [String]) throws -> [LockedObject] {
        let locked = try first.remove(keys: keys)
        do { try second.remove(keys: keys) } catch { secondFailed(keys.first ?? "", error) }
        return locked
    }
}

/// One object written to both storages of a `MirroredStorage`, the same bytes in the same call.
final class MirroredUpload: Upload {
    private let key: String
    private let first: Upload
    private var second: Upload?
    private let storage: MirroredStorage

    init(key: String, first: Upload, second: Upload?, storage: MirroredStorage) {
        self.key = key
        self.first = first
        self.second = second
        self.storage = storage
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try first.write(bytes)
        do { try second?.write(bytes) } catch { dropSecond(error) }
    }

    func commit(replace: Bool) throws -> CommitOutcome {
        let outcome: CommitOutcome
        do {
            outcome = try first.commit(replace: replace)
        } catch {
            second?.abort()
            second = nil
            throw error
        }
        do { _ = try second?.commit(replace: replace) } catch { storage.secondFailed(key, error) }
        second = nil
        return outcome
    }

    func abort() {
        first.abort()
        second?.abort()
        second = nil
    }

    private func dropSecond(_ error: Error) {
        second?.abort()
        second = nil
        storage.secondFailed(key, error)
    }
}
