/// `wal-push`: stores one file PostgreSQL hands to archive_command, exactly once.
///
/// The file is checked before anything is written: its name must be a WAL segment, `.partial`,
/// `.history` or `.backup` name; a segment's page header must belong to this data directory's
/// cluster and to the segment its name says. An object already stored under the name is compared
/// by digest (its trailer, a ranged read): the same content is success, different content is an
/// error and nothing is overwritten.
public struct WALPush {
    public enum Outcome: Equatable {
        case stored(originalBytes: Int)
        case alreadyArchived
    }

    let repository: Repository
    let options: ObjectOptions
    let log: Log

    public init(repository: Repository, options: ObjectOptions, log: Log) {
        self.repository = repository
        self.options = options
        self.log = log
    }

    public func push(path: String) throws -> Outcome {
        let fileName = try WALFileName(parsing: FileSystem.basename(of: path))
        let identity = try ClusterIdentity.read(dataDirectory: DataDirectory.containing(walPath: path))
        let archive = WALArchive(repository: repository, identity: identity)
        let file = try SystemFile.openForReading(path)
        try repository.checkEncryption()
        try validate(file, as: fileName, in: archive)

        let key = archive.key(for: fileName)
        let storage = repository.storage
        if try storage.size(of: key) != nil {
            return try compare(file, with: key)
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
            return .stored(originalBytes: trailer.originalSize)
        case .alreadyExists:
            // Another push of the same name won the race: same content is fine.
            return try compare(trailer, with: key, file: path)
        }
    }

    private func validate(_ file: SystemFile, as name: WALFileName, in archive: WALArchive) throws {
        switch name {
        case .segment(let segment), .partial(let segment):
            let size = try WALPageHeader.validateSegment(file, as: segment, cluster: archive.identity)
            try archive.checkSegmentSize(size, file: file.path)
        case .history:
            _ = try TimelineHistory.read(path: file.path)
        case .backup:
            break
        }
    }

    private func compare(_ file: SystemFile, with key: String) throws -> Outcome {
        let local = try FileDigest.compute(file: file, key: repository.key)
        return try compare(local, with: key, file: file.path)
    }

    private func compare(_ local: ObjectTrailer, with key: String, file: String) throws -> Outcome {
        let object = repository.storage.describe(key)
        let stored = try ObjectTrailer(parsing: repository.storage.readTail(of: key, count: ObjectTrailer.size), object: object)
        guard stored == local else {
            throw ArchiveError.differentContent(file: file, object: object)
        }
        log.info("WAL file '\(file)' is already archived with the same content as \(object)")
        return .alreadyArchived
    }
}
