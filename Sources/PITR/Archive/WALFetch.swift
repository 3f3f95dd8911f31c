/// `wal-fetch`: hands one archived file to PostgreSQL's restore_command, whole and verified or not at all.
///
/// The object is decoded into a hidden temporary file beside the destination and renamed to it
/// only after every check passed (authentication or digest, size, and for segments the page
/// header), so PostgreSQL never sees a corrupt, truncated or misnamed file.
public struct WALFetch {
    public enum Outcome: Equatable {
        case fetched(originalBytes: Int)
        /// The repository answered that the object does not exist: the end of the archive.
        case notFound
    }

    let repository: Repository
    let log: Log

    public init(repository: Repository, log: Log) {
        self.repository = repository
        self.log = log
    }

    public func fetch(name: String, to destination: String) throws -> Outcome {
        let fileName = try WALFileName(parsing: name)
        let identity = try ClusterIdentity.read(dataDirectory: DataDirectory.containing(walPath: destination))
        let key = WALArchive(repository: repository, identity: identity).key(for: fileName)
        let object = repository.storage.describe(key)

        let source: ByteSource
        do {
            source = try repository.storage.openForReading(key)
        } catch StorageError.notFound {
            // "Not found" ends recovery, so it must come from a repository that is there:
            // an unmounted folder or a wrong TAILTOWN_REPO is an error, not the end of the archive.
            try repository.checkExists()
            log.debug("\(object) does not exist")
            return .notFound
        }

        let temporary = FileSystem.temporaryName(for: destination)
        try FileSystem.remove(temporary)
        do {
            let output = try SystemFile.createExclusive(temporary, mode: 0o600)
            let trailer = try ObjectDecoder(key: repository.key).decode(from: source, to: output, object: object)
            if case .segment(let segment) = fileName {
                _ = try WALPageHeader.validateSegment(at: temporary, as: segment, cluster: identity)
            }
            try FileSystem.rename(temporary, to: destination)
            return .fetched(originalBytes: trailer.originalSize)
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }
    }
}
