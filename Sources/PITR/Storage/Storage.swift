import PITRSupport

/// The one interface between the domain and where objects are kept (file://, s3://).
/// Keys are '/'-separated relative paths such as "wal/15-7312/0000000100000000/000000010000000000000001".
/// A reader never sees a partial object: an upload becomes visible only at `commit`.
public protocol Storage: AnyObject {
    /// A human-readable name of the object for error messages, such as its URL.
    func describe(_ key: String) -> String

    /// The object's size in bytes, or nil when it does not exist.
    func size(of key: String) throws -> Int?

    /// Opens an object for reading; throws `StorageError.notFound` when it does not exist.
    func openForReading(_ key: String) throws -> ByteSource

    /// Opens `keys` for reading one after another, each read to its end before the next is asked for (the
    /// pieces of a backup archive). S3 downloads the next object's first range while the last range of the
    /// current one is read; by default (file://) each is opened when asked for.
    func openSequence(_ keys: [String]) -> ObjectSequence

    /// The last `count` bytes of an object (all of it if it is shorter).
    func readTail(of key: String, count: Int) throws -> [UInt8]

    /// The first `count` bytes of an object (all of it if it is shorter), in one small read.
    func readHead(of key: String, count: Int) throws -> [UInt8]

    /// Starts writing a new object, invisible until committed.
    func startUpload(_ key: String) throws -> Upload

    /// Makes an existing object durable under its key, as `commit` makes a new one (file://: fsync
    /// of the file and of its folder; S3 stores durably before it answers), for an object another
    /// process stored: success reported for it must not be lost in a crash that follows.
    func makeDurable(_ key: String) throws

    /// Whether an upload holds nothing shared with other uploads (file://: its own file), so that its commit
    /// may run on another thread while this connection starts the next upload. An S3 upload sends through
    /// its connection.
    var uploadsAreIndependent: Bool { get }

    /// The objects whose keys start with `prefix`, sorted by key, with their stored sizes.
    func listObjects(prefix: String) throws -> [StoredObject]

    /// Uploads whose process died before commit or abort (file://: hidden temporary files;
    /// S3: incomplete multipart uploads) under `prefix`, started before `cutoff`. Readers never see
    /// them, but they take space. The caller picks a cutoff beyond the longest upload it makes.
    func abandonedUploads(under prefix: String, startedBefore cutoff: UTCTime) throws -> [AbandonedUpload]

    /// Discards abandoned uploads; a committed object is never touched, one already gone is not an error.
    func discard(_ uploads: [AbandonedUpload]) throws

    /// Removes an object; removing a missing object is not an error.
    func remove(_ key: String) throws

    /// Removes many objects, in the order given as far as the storage allows (S3 deletes a batch
    /// of up to 1000 at once); missing objects are not errors. Returns those a lock keeps (S3 Object Lock), left
    /// in place whole for a later run.
    @discardableResult
    func remove(keys: [String]) throws -> [LockedObject]

    /// The billed requests this connection sent so far, retries included; nil for a storage that bills none (file://).
    var requests: RequestCounts? { get }

    /// How new objects are locked (S3 Object Lock), nil when they are not.
    var objectLock: S3ObjectLock? { get }

    /// Checks that the store can lock new objects as `objectLock` says (an S3 bucket with Object Lock enabled), naming
    /// what is missing; one request, made when the repository records the mode.
    func checkLocking() throws

    /// Checks that the store refuses to overwrite on a conditional write (what keeps an archived object from ever being
    /// replaced), naming what is missing; returns false when there is nothing to probe (file:// links, never replacing).
    /// Made when the repository is set up, and recorded.
    func checkConditionalWrites() throws -> Bool

    /// The end of the lock on `key`'s current version; nil when it has none (or nothing is locked here).
    func lockEnd(of key: String) throws -> UTCTime?

    /// Locks `key`'s current version until `until` (a lock is only ever made longer).
    func extendLock(of key: String, until: UTCTime) throws

    /// The keys under `prefix` that a delete marker hides (versioned S3 buckets): listings do not show them, reads look
    /// behind the marker (with Object Lock).
    func hiddenObjects(prefix: String) throws -> [String]

    /// Removes, by version id, the versions that are not their key's current one (a replaced object's earlier
    /// versions) and the delete markers that hide nothing, once their locks have ended, so that they stop being billed;
    /// a key a delete marker hides is left whole. Returns how many were removed, and what a lock still holds.
    func removeNoncurrentVersions(now: UTCTime) throws -> (removed: Int, locked: [LockedObject])

    /// The storage classes objects are written in and move to as they age (S3); nil where there are none (file://).
    var storageClasses: S3StorageClasses? { get }

    /// Tags `key` with the tier it is to move to, which a lifecycle rule turns into a transition (the object is not rewritten).
    func tag(_ key: String, tier: S3StorageClasses.Tier) throws

    /// Makes the store's transition rules for this repository those `storageClasses` asks for; returns whether it changed them.
    func keepTransitionRules() throws -> Bool
    /// `key`'s archive class and thaw state (S3: one HEAD, x-amz-storage-class and x-amz-restore); nil when it is in no
    /// archive class, as every object outside S3. Throws `StorageError.notFound` when it does not exist.
    func archivedState(of key: String) throws -> ArchivedState?

    /// Asks for archived `key` to be thawed at `tier` and kept readable for `days` days (S3 RestoreObject).
    func requestThaw(of key: String, tier: ThawTier, days: Int) throws -> ThawRequestOutcome
}

/// An object `remove(keys:)` could not remove yet because a lock holds it, and until when (nil: unknown).
public struct LockedObject: Equatable, Sendable {
    public let key: String
    public let until: UTCTime?
}

/// Requests sent to an object store, by the price class they are billed in.
public struct RequestCounts: Equatable, Sendable {
    /// PUT, POST, COPY and LIST requests (S3's "PUT, COPY, POST, LIST" class).
    public var writes = 0
    /// GET and HEAD requests.
    public var reads = 0
    /// DELETE requests (free on S3).
    public var deletes = 0

    public init() {}

    mutating func count(method: String, query: [(name: String, value: String)]) {
        switch method {
        case "GET" where query.contains { ["list-type", "uploads", "versions"].contains($0.name) }: writes += 1
        case "GET", "HEAD": reads += 1
        case "DELETE": deletes += 1
        default: writes += 1
        }
    }

    public static func - (lhs: RequestCounts, rhs: RequestCounts) -> RequestCounts {
        var difference = RequestCounts()
        difference.writes = lhs.writes - rhs.writes
        difference.reads = lhs.reads - rhs.reads
        difference.deletes = lhs.deletes - rhs.deletes
        return difference
    }
}

/// An object being written. Exactly one of `commit` or `abort` ends it;
/// an upload that is neither committed nor aborted leaves nothing visible.
public protocol Upload: ByteSink {
    /// Makes the object visible under its key, durably. An existing object is left untouched and `.alreadyExists` is
    /// returned: nothing tailtown-pitr writes replaces an object (docs/format.md).
    func commit() throws -> CommitOutcome

    /// Discards everything written; never throws.
    func abort()
}

/// One entry of a listing.
public struct StoredObject: Equatable, Sendable {
    public let key: String
    /// Stored bytes (compressed and encrypted).
    public let size: Int
    /// The S3 storage class ("STANDARD", "STANDARD_IA"...); nil on storage that has none (file://).
    public let storageClass: String?
    /// When the object was last written (S3 LastModified, a file's mtime); nil when unknown.
    public let lastModified: UTCTime?

    public init(key: String, size: Int, storageClass: String? = nil, lastModified: UTCTime? = nil) {
        self.key = key
        self.size = size
        self.storageClass = storageClass
        self.lastModified = lastModified
    }
}

/// An upload that was neither committed nor aborted (see `Storage.abandonedUploads`).
public struct AbandonedUpload: Equatable, Sendable {
    /// The key the upload was for (on file://, its hidden temporary file).
    public let key: String
    /// Bytes it holds, when the storage says (S3 does not list the size of incomplete uploads).
    public let size: Int?
    /// What `discard` needs: the temporary file's key, or the S3 upload id.
    let handle: String

    init(key: String, size: Int?, handle: String) {
        self.key = key
        self.size = size
        self.handle = handle
    }
}

public enum CommitOutcome: Equatable, Sendable {
    case stored
    case alreadyExists
}

public enum StorageError: PITRError, Equatable {
    case notFound(object: String)
    case unreachable(object: String, reason: String)
    /// Larger than the limit of what is read whole (`Storage.readSmallObject`): no repository metadata is that large,
    /// so the object is one that anyone who may write to the repository put there (a reader of a series passes over it).
    case tooLarge(object: String, limit: Int)

    public var description: String {
        switch self {
        case .notFound(let object): "object \(object) does not exist"
        case .unreachable(let object, let reason): "cannot reach \(object): \(reason)"
        case .tooLarge(let object, let limit): "\(object) is larger than \(limit) bytes, so it is no repository metadata"
        }
    }
}

/// Objects read one after another (`Storage.openSequence`).
public protocol ObjectSequence: AnyObject {
    /// The next object's source, nil after the last; throws `StorageError.notFound` when it does not exist.
    /// The previous source is done with: its reader reads no further.
    func next() throws -> ByteSource?
}

/// Each object opened when asked for.
final class ObjectsInTurn: ObjectSequence {
    private let storage: Storage
    private var keys: ArraySlice<String>

    init(storage: Storage, keys: [String]) {
        self.storage = storage
        self.keys = keys[...]
    }

    func next() throws -> ByteSource? {
        guard let key = keys.popFirst() else { return nil }
        return try storage.openForReading(key)
    }
}

extension Storage {
    public func openSequence(_ keys: [String]) -> ObjectSequence {
        ObjectsInTurn(storage: self, keys: keys)
    }

    /// Keys that start with `prefix`, sorted.
    public func list(prefix: String) throws -> [String] {
        try listObjects(prefix: prefix).map(\.key)
    }

    /// Opens an object for reading; nil when it does not exist.
    public func openIfPresent(_ key: String) throws -> ByteSource? {
        do {
            return try openForReading(key)
        } catch StorageError.notFound {
            return nil
        }
    }

    /// Reads a whole small object (repository metadata); throws `StorageError.tooLarge` for one larger than `limit`
    /// bytes. Returns nil when the object does not exist.
    public func readSmallObject(_ key: String, limit: Int = 1 << 20) throws -> [UInt8]? {
        guard let source = try openIfPresent(key) else { return nil }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return bytes }
            bytes += block[..<n]
            if bytes.count > limit {
                throw StorageError.tooLarge(object: describe(key), limit: limit)
            }
        }
    }
}
