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
        if try storage.size(of: key) != nil {
            // The stored trailer's kind says whether the object is bound to its name (format 2) or not (format 1).
            let stored = try storedTrailer(key)
            let local = try FileDigest.compute(file: file, key: repository.key, identity: stored.digestKind.bindsIdentity ? identity : nil)
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
        switch try object.upload.commit(replace: false) {
        case .stored:
            return (.stored(originalBytes: object.trailer.originalSize), object.trailer)
        case .alreadyExists:
            // Another push of the same name won the race: same content is fine. One of another format
            // (an older tailtown-pitr) is compared by that format's digest.
            let stored = try storedTrailer(object.key)
            var local = object.trailer
            if stored.digestKind != local.digestKind {
                local = try FileDigest.compute(file: try SystemFile.openForReading(object.file), key: repository.key,
                                               identity: stored.digestKind.bindsIdentity ? object.identity : nil)
            }
            return (try compare(local, with: stored, key: object.key, file: object.file), object.trailer)
        }
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
