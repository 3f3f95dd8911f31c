import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// Stores one local WAL file under its name in an archive, exactly once: the work of one
/// wal-push, shared by PostgreSQL's own call and the push-ahead workers (one store per
/// repository connection, never shared between threads).
struct WALFileStore {
    let repository: Repository
    let options: ObjectOptions
    let log: Log

    /// Checks that `file` is what its name says and belongs to the archive's cluster; returns the
    /// segment size of a segment or `.partial` file (nil for `.history` and `.backup`).
    func validate(_ file: SystemFile, as name: WALFileName, cluster: ClusterIdentity) throws -> WALSegmentSize? {
        switch name {
        case .segment(let segment), .partial(let segment):
            return try WALPageHeader.validateSegment(file, as: segment, cluster: cluster)
        case .history:
            _ = try TimelineHistory.read(path: file.path)
            return nil
        case .backup(let segment, let offset):
            _ = try BackupHistoryFile.read(file, name: segment, offset: offset, shown: file.path)
            return nil
        }
    }

    /// Stores `file` unless the archive holds the name already. Returns the outcome and the trailer
    /// of the original (what a push record keeps): the same content already stored is success,
    /// different content is `ArchiveError.differentContent` and nothing is overwritten.
    func store(_ file: SystemFile, as name: WALFileName, in archive: WALArchive) throws -> (WALPush.Outcome, ObjectTrailer) {
        switch try encode(file, as: name, in: archive) {
        case .done(let outcome, let trailer): return (outcome, trailer)
        case .uncommitted(let object): return try commit(object)
        }
    }

    /// What `encode` leaves: the outcome when the archive held the name already, else the object
    /// written but not yet committed.
    enum Encoding {
        case done(WALPush.Outcome, ObjectTrailer)
        case uncommitted(UncommittedObject)
    }

    /// An object written whole to its upload, invisible until `commit`.
    struct UncommittedObject {
        let upload: Upload
        let trailer: ObjectTrailer
        let key: String
        /// The local file.
        let file: String
        let identity: ObjectIdentity
    }

    /// The first half of `store`: the duplicate check, then the object written to an upload.
    func encode(_ file: SystemFile, as name: WALFileName, in archive: WALArchive) throws -> Encoding {
        let key = archive.key(for: name)
        let storage = repository.storage
        let identity = try archive.objectIdentity(of: name)
        // A lookup that costs no request (file://) spares encoding a file the archive holds. On S3 it would be a request
        // of its own in every push: the conditional PUT answers the same (412) when the name is taken, and only then is
        // the stored object's trailer read (`commit`).
        if storage.requests == nil, try storage.size(of: key) != nil {
            let stored = try storedTrailer(key)
            let local = try localTrailer(of: file, like: stored, key: key, identity: identity)
            return .done(try compare(local, with: stored, key: key, file: file.path), local)
        }

        file.adviseSequential()
        let upload = try storage.startUpload(key)
        do {
            let trailer = try ObjectEncoder(options: options).encode(from: file, to: upload, as: identity)
            return .uncommitted(UncommittedObject(upload: upload, trailer: trailer, key: key, file: file.path, identity: identity))
        } catch {
            upload.abort()
            throw error
        }
    }

    /// The second half of `store`: makes the object durable and visible under its name.
    func commit(_ object: UncommittedObject) throws -> (WALPush.Outcome, ObjectTrailer) {
        switch try object.upload.commit() {
        case .stored:
            return (.stored(originalBytes: object.trailer.originalSize), object.trailer)
        case .alreadyExists:
            // Another push of the same name won the race: same content is fine. One of another format
            // (an older tailtown-pitr) is compared by that format's digest.
            let stored = try storedTrailer(object.key)
            var local = object.trailer
            if local != stored {
                local = try localTrailer(of: SystemFile.openForReading(object.file), like: stored, key: object.key,
                                         identity: object.identity, known: object.trailer)
            }
            return (try compare(local, with: stored, key: object.key, file: object.file), object.trailer)
        }
    }

    /// The trailer `file` gives as the object stored under `key`, whose trailer is `stored`: of its format (format 1
    /// objects are not bound to `identity`), keyed by the active key; when that differs and the object was encrypted
    /// with another configured key (before `keygen --activate`), keyed by that key, as the object's own digest is.
    /// `known` is what the active key gives in the current format, when the caller has it.
    func localTrailer(of file: SystemFile, like stored: ObjectTrailer, key: String, identity: ObjectIdentity,
                      known: ObjectTrailer? = nil) throws -> ObjectTrailer {
        let bound = stored.digestKind.bindsIdentity ? identity : nil
        var local: ObjectTrailer
        if let known, known.digestKind == stored.digestKind {
            local = known
        } else {
            local = try FileDigest.compute(file: file, key: repository.key, identity: bound)
        }
        // Only a mismatch with several keys configured costs a read of the object's header and a second digest.
        if local != stored, let older = try repository.olderKey(ofObject: key) {
            local = try FileDigest.compute(file: file, key: older, identity: bound)
        }
        return local
    }

    private func storedTrailer(_ key: String) throws -> ObjectTrailer {
        try ObjectTrailer(parsing: repository.storage.readTail(of: key, count: ObjectTrailer.size), object: repository.storage.describe(key))
    }

    private func compare(_ local: ObjectTrailer, with stored: ObjectTrailer, key: String, file: String) throws -> WALPush.Outcome {
        let object = repository.storage.describe(key)
        guard stored == local else {
            throw ArchiveError.differentContent(file: file, object: object)
        }
        // Whoever stored it may have crashed before it was durable: PostgreSQL recycles the file
        // once told it is archived, so that must hold through a crash right after.
        try repository.storage.makeDurable(key)
        log.info("WAL file '\(file)' is already archived with the same content as \(object)")
        return .alreadyArchived
    }
}
