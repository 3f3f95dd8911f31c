import PITRSupport

/// A storage that passes every member on to `base`: what the wrappers (`MirroredStorage`, `FallbackStorage`,
/// `ConfirmedRemovalStorage`) build on, overriding only what they change, so that a member added to `Storage` is
/// forwarded here once (the protocol has no defaults that would let a wrapper skip it silently).
public class ForwardingStorage: Storage {
    public let base: Storage

    init(base: Storage) {
        self.base = base
    }

    public func describe(_ key: String) -> String { base.describe(key) }
    public func size(of key: String) throws -> Int? { try base.size(of: key) }
    public func openForReading(_ key: String) throws -> ByteSource { try base.openForReading(key) }
    public func openSequence(_ keys: [String]) -> ObjectSequence { base.openSequence(keys) }
    public func readTail(of key: String, count: Int) throws -> [UInt8] { try base.readTail(of: key, count: count) }
    public func readHead(of key: String, count: Int) throws -> [UInt8] { try base.readHead(of: key, count: count) }
    public func startUpload(_ key: String) throws -> Upload { try base.startUpload(key) }
    public func makeDurable(_ key: String) throws { try base.makeDurable(key) }
    public var uploadsAreIndependent: Bool { base.uploadsAreIndependent }
    public func listObjects(prefix: String) throws -> [StoredObject] { try base.listObjects(prefix: prefix) }
    public func abandonedUploads(under prefix: String, startedBefore cutoff: UTCTime) throws -> [AbandonedUpload] {
        try base.abandonedUploads(under: prefix, startedBefore: cutoff)
    }
    public func discard(_ uploads: [AbandonedUpload]) throws { try base.discard(uploads) }
    public func remove(_ key: String) throws { try base.remove(key) }
    @discardableResult
    public func remove(keys: [String]) throws -> [LockedObject] { try base.remove(keys: keys) }
    public var requests: RequestCounts? { base.requests }
    public var objectLock: S3ObjectLock? { base.objectLock }
    public func checkLocking() throws { try base.checkLocking() }
    public func checkConditionalWrites() throws -> Bool { try base.checkConditionalWrites() }
    public func lockEnd(of key: String) throws -> UTCTime? { try base.lockEnd(of: key) }
    public func extendLock(of key: String, until: UTCTime) throws { try base.extendLock(of: key, until: until) }
    public func hiddenObjects(prefix: String) throws -> [String] { try base.hiddenObjects(prefix: prefix) }
    public func removeNoncurrentVersions(now: UTCTime) throws -> (removed: Int, locked: [LockedObject]) {
        try base.removeNoncurrentVersions(now: now)
    }
    public var storageClasses: S3StorageClasses? { base.storageClasses }
    public func tag(_ key: String, tier: S3StorageClasses.Tier) throws { try base.tag(key, tier: tier) }
    public func keepTransitionRules() throws -> Bool { try base.keepTransitionRules() }
    public func archivedState(of key: String) throws -> ArchivedState? { try base.archivedState(of: key) }
    public func requestThaw(of key: String, tier: ThawTier, days: Int) throws -> ThawRequestOutcome {
        try base.requestThaw(of: key, tier: tier, days: days)
    }
}
