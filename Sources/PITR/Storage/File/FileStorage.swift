import PITRSupport

/// A repository in a local folder (`file:///path`).
/// Objects are files under the root, named by their keys; folders are created 0700 and files 0600.
/// Uploads go to a hidden temporary name in the target folder, are fsynced, then linked or renamed
/// to their final name and the folder fsynced, so a partial object is never visible and a committed
/// one survives a crash.
public final class FileStorage: Storage {
    public var requests: RequestCounts? { nil }
    public let root: String

    public var uploadsAreIndependent: Bool { true }

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    func path(of key: String) -> String { root + "/" + key }

    public func describe(_ key: String) -> String { key.isEmpty ? "file://" + root : "file://" + path(of: key) }

    public func size(of key: String) throws -> Int? {
        try FileSystem.size(path(of: key))
    }

    public func openForReading(_ key: String) throws -> ByteSource {
        do {
            let file = try SystemFile.openForReading(path(of: key))
            file.adviseSequential()
            return file
        } catch let error as IOError where error.isNotFound {
            throw StorageError.notFound(object: describe(key))
        }
    }

    public func readTail(of key: String, count: Int) throws -> [UInt8] {
        try read(key) { size in max(0, size - count)..<size }
    }

    public func readHead(of key: String, count: Int) throws -> [UInt8] {
        try read(key) { size in 0..<min(size, count) }
    }

    /// Reads the byte range `range(size)` of an object.
    private func read(_ key: String, range: (Int) -> Range<Int>) throws -> [UInt8] {
        let file: SystemFile
        do {
            file = try SystemFile.openForReading(path(of: key))
        } catch let error as IOError where error.isNotFound {
            throw StorageError.notFound(object: describe(key))
        }
        let wanted = range(try file.size())
        var bytes = [UInt8](repeating: 0, count: wanted.count)
        let n = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: wanted.lowerBound) }
        bytes.removeLast(bytes.count - n)
        return bytes
    }

    public func startUpload(_ key: String) throws -> Upload {
        let target = path(of: key)
        try FileSystem.makeDirectories(FileSystem.dirname(of: target))
        return try FileUpload(target: target)
    }

    public func makeDurable(_ key: String) throws {
        let file: SystemFile
        do {
            file = try SystemFile.openForReading(path(of: key))
        } catch let error as IOError where error.isNotFound {
            throw StorageError.notFound(object: describe(key))
        }
        try file.sync()
        try FileSystem.syncDirectory(FileSystem.dirname(of: path(of: key)))
    }

    public func listObjects(prefix: String) throws -> [StoredObject] {
        // Walk only the folder the prefix names, then filter by the rest of the prefix.
        let folder = prefix.contains("/") ? String(prefix[..<(prefix.lastIndex(of: "/") ?? prefix.startIndex)]) : ""
        var objects: [StoredObject] = []
        try walk(folder, prefix: prefix, into: &objects)
        return objects.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }
    }

    /// Collects the files under `folder`, skipping subfolders whose keys cannot start with `prefix`
    /// (a timeline's prefix `wal/<id>/00000002` walks only that timeline's folders).
    private func walk(_ folder: String, prefix: String, into objects: inout [StoredObject]) throws {
        let absolute = folder.isEmpty ? root : path(of: folder)
        guard FileSystem.isDirectory(absolute) else { return }
        for name in try FileSystem.list(absolute) where !name.hasPrefix(".") {
            let key = folder.isEmpty ? name : folder + "/" + name
            if FileSystem.isDirectory(path(of: key)) {
                guard (key + "/").hasPrefix(prefix) || prefix.hasPrefix(key + "/") else { continue }
                try walk(key, prefix: prefix, into: &objects)
            } else if let object = try entry(key) {
                // nil: removed since the folder was read.
                objects.append(object)
            }
        }
    }

    /// The listing entry of one file, or nil when it does not exist.
    private func entry(_ key: String) throws -> StoredObject? {
        var info = stat()
        guard stat(path(of: key), &info) == 0 else {
            if errno == ENOENT { return nil }
            throw IOError("stat", path(of: key))
        }
        return StoredObject(key: key, size: Int(info.st_size), lastModified: UTCTime(secondsSinceEpoch: Int64(info.st_mtim.tv_sec)))
    }

    public func remove(_ key: String) throws {
        try FileSystem.remove(path(of: key))
    }

    public func remove(keys: [String]) throws -> [LockedObject] {
        for key in keys { try remove(key) }
        return []
    }

    /// Hidden temporary files (`.name.pid.random.tmp`, see `FileUpload`) under `prefix` last written before
    /// `cutoff`: left by killed processes, never visible in `listObjects`. Sorted by key.
    public func abandonedUploads(under prefix: String, startedBefore cutoff: UTCTime) throws -> [AbandonedUpload] {
        var found: [AbandonedUpload] = []
        func walk(_ folder: String) throws {
            let absolute = folder.isEmpty ? root : path(of: folder)
            guard FileSystem.isDirectory(absolute) else { return }
            for name in try FileSystem.list(absolute) {
                let key = folder.isEmpty ? name : folder + "/" + name
                if FileSystem.isDirectory(path(of: key)) {
                    try walk(key)
                } else if name.hasPrefix("."), name.hasSuffix(".tmp"), let object = try entry(key),
                          let modified = object.lastModified, modified < cutoff {
                    found.append(AbandonedUpload(key: object.key, size: object.size, handle: object.key))
                }
            }
        }
        try walk(prefix)
        return found.sorted { $0.key < $1.key }
    }

    public func discard(_ uploads: [AbandonedUpload]) throws {
        for upload in uploads { try remove(upload.handle) }
    }
}

/// An object being written to a hidden temporary file beside its final name.
final class FileUpload: Upload {
    private let target: String
    private let temporary: String
    private var file: SystemFile?

    init(target: String) throws {
        self.target = target
        // A name of its own, never one a writer on another host (with the same pid) may be filling:
        // removing or reusing that would publish its partial file under our key, or ours under its.
        self.temporary = FileSystem.temporaryName(for: target)
        self.file = try SystemFile.createExclusive(temporary, mode: 0o600)
    }

    deinit { abort() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let file else { throw IOError("write", temporary, code: EBADF) }
        try file.write(bytes)
    }

    func commit() throws -> CommitOutcome {
        guard let file else { throw IOError("commit", temporary, code: EBADF) }
        defer { abort() }
        try file.sync()
        self.file = nil
        var outcome = CommitOutcome.stored
        do {
            try FileSystem.link(temporary, to: target)
        } catch let error as IOError where error.isAlreadyExists {
            outcome = .alreadyExists
        }
        try FileSystem.syncDirectory(FileSystem.dirname(of: target))
        return outcome
    }

    func abort() {
        file = nil
        try? FileSystem.remove(temporary)
    }
}

/// What only S3 has, said here rather than defaulted in the protocol (a storage that forgets one does not compile):
/// file:// locks nothing, keeps no versions, has one storage class and no archive tier.
extension FileStorage {
    public var objectLock: S3ObjectLock? { nil }
    public func checkLocking() throws {}
    public func checkConditionalWrites() throws -> Bool { false }
    public func lockEnd(of key: String) throws -> UTCTime? { nil }
    public func extendLock(of key: String, until: UTCTime) throws {}
    public func hiddenObjects(prefix: String) throws -> [String] { [] }
    public func removeNoncurrentVersions(now: UTCTime) throws -> (removed: Int, locked: [LockedObject]) { (0, []) }
    public var storageClasses: S3StorageClasses? { nil }
    public func tag(_ key: String, tier: S3StorageClasses.Tier) throws {}
    public func keepTransitionRules() throws -> Bool { false }
    public func archivedState(of key: String) throws -> ArchivedState? { nil }
    public func requestThaw(of key: String, tier: ThawTier, days: Int) throws -> ThawRequestOutcome { .alreadyReadable }
}
