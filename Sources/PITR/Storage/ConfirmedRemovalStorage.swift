import PITRSupport

/// The first repository as `delete` sees it with a second one (TAILTOWN_REPO2): everything as the storage does, except
/// that an object is removed only when `confirmed` says the second holds its copy; the others are answered as kept for a
/// later run (as a lock would keep them, so a backup whose descriptor stays keeps all its objects), and listed in `kept`.
public final class ConfirmedRemovalStorage: Storage {
    let storage: Storage
    let confirmed: (String) -> Bool
    /// The keys left in place because the second repository does not hold them yet.
    public private(set) var kept: Set<String> = []

    public init(_ storage: Storage, confirmed: @escaping (String) -> Bool) {
        self.storage = storage
        self.confirmed = confirmed
    }

    @discardableResult
    public func remove(keys: [String]) throws -> [LockedObject] {
        let unconfirmed = keys.filter { !confirmed($0) }
        kept.formUnion(unconfirmed)
        let locked = try storage.remove(keys: keys.filter(confirmed))
        return locked + unconfirmed.map { LockedObject(key: $0, until: nil) }
    }

    public func remove(_ key: String) throws {
        guard confirmed(key) else { kept.insert(key); return }
        try storage.remove(key)
    }

    public func describe(_ key: String) -> String { storage.describe(key) }
    public func size(of key: String) throws -> Int? { try storage.size(of: key) }
    public func openForReading(_ key: String) throws -> ByteSource { try storage.openForReading(key) }
    public func openSequence(_ keys: [String]) -> ObjectSequence { storage.openSequence(keys) }
    public func readTail(of key: String, count: Int) throws -> [UInt8] { try storage.readTail(of: key, count: count) }
    public func readHead(of key: String, count: Int) throws -> [UInt8] { try storage.readHead(of: key, count: count) }
    public func startUpload(_ key: String) throws -> Upload { try storage.startUpload(key) }
    public func makeDurable(_ key: String) throws { try storage.makeDurable(key) }
    public var uploadsAreIndependent: Bool { storage.uploadsAreIndependent }
    public func listObjects(prefix: String) throws -> [StoredObject] { try storage.listObjects(prefix: prefix) }
    public func abandonedUploads(under prefix: String, startedBefore cutoff: UTCTime) throws -> [AbandonedUpload] {
        try storage.abandonedUploads(under: prefix, startedBefore: cutoff)
    }
    public func discard(_ uploads: [AbandonedUpload]) throws { try storage.discard(uploads) }
    public var requests: RequestCounts? { storage.requests }
    public var objectLock: S3ObjectLock? { storage.objectLock }
    public func checkLocking() throws { try storage.checkLocking() }
    public func checkConditionalWrites() throws -> Bool { try storage.checkConditionalWrites() }
    public func lockEnd(of key: String) throws -> UTCTime? { try storage.lockEnd(of: key) }
    public func extendLock(of key: String, until: UTCTime) throws { try storage.extendLock(of: key, until: until) }
    public func hiddenObjects(prefix: String) throws -> [String] { try storage.hiddenObjects(prefix: prefix) }
    public var storageClasses: S3StorageClasses? { storage.storageClasses }
    public func tag(_ key: String, tier: S3StorageClasses.Tier) throws { try storage.tag(key, tier: tier) }
    public func keepTransitionRules() throws -> Bool { try storage.keepTransitionRules() }
    public func archivedState(of key: String) throws -> ArchivedState? { try storage.archivedState(of: key) }
    public func requestThaw(of key: String, tier: ThawTier, days: Int) throws -> ThawRequestOutcome {
        try storage.requestThaw(of: key, tier: tier, days: days)
    }
    public func removeNoncurrentVersions(now: UTCTime) throws -> (removed: Int, locked: [LockedObject]) {
        try storage.removeNoncurrentVersions(now: now)
    }
}
