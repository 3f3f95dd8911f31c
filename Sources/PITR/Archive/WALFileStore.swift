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
        case .backup:
            return nil
        }
    }

    /// Stores `file` unless the archive holds the name already. Returns the outcome and the trailer
    /// of the original (what a push record keeps): the same content already stored is success,
    /// different content is `ArchiveError.differentContent` and nothing is overwritten.
    func store(_ file: SystemFile, as name: WALFileName, in archive: WALArchive) throws -> (WALPush.Outcome, ObjectTrailer) {
        let key = archive.key(for: name)
        let storage = repository.storage
        if try storage.size(of: key) != nil {
            let local = try FileDigest.compute(file: file, key: repository.key)
            return (try compare(local, with: key, file: file.path), local)
        }

        file.adviseSequential()
        let upload = try storage.startUpload(key)
        let trailer: ObjectTrailer
        do {
            trailer = try ObjectEncoder(options: options).encode(from: file, to: upload)
        } catch {
            upload.abort()
            throw error
        }
        switch try upload.commit(replace: false) {
        case .stored:
            return (.stored(originalBytes: trailer.originalSize), trailer)
        case .alreadyExists:
            // Another push of the same name won the race: same content is fine.
            return (try compare(trailer, with: key, file: file.path), trailer)
        }
    }

    private func compare(_ local: ObjectTrailer, with key: String, file: String) throws -> WALPush.Outcome {
        let object = repository.storage.describe(key)
        let stored = try ObjectTrailer(parsing: repository.storage.readTail(of: key, count: ObjectTrailer.size), object: object)
        guard stored == local else {
            throw ArchiveError.differentContent(file: file, object: object)
        }
        log.info("WAL file '\(file)' is already archived with the same content as \(object)")
        return .alreadyArchived
    }
}
