/// `wal-push`: stores one file PostgreSQL hands to archive_command, exactly once, and pushes
/// the next `.ready` files ahead of PostgreSQL's calls (`PushAhead`).
///
/// The file is checked before anything is written: its name must be a WAL segment, `.partial`,
/// `.history` or `.backup` name; a segment's page header must belong to this data directory's
/// cluster and to the segment its name says. An object already stored under the name is compared
/// by digest (its trailer, a ranged read): the same content is success, different content is an
/// error and nothing is overwritten. A file push-ahead already stored is recognised by its
/// `PushRecord` and answered without a request, once its size and digest match the record.
public struct WALPush {
    public enum Outcome: Equatable {
        case stored(originalBytes: Int)
        case alreadyArchived
        /// An earlier wal-push stored it ahead; the file still matches what was stored.
        case pushedAhead
    }

    let repository: Repository
    let options: ObjectOptions
    let log: Log
    let pushAhead: PushAhead.Policy?

    /// `pushAhead` nil (or a limit of 0) stores only the file asked for.
    public init(repository: Repository, options: ObjectOptions, log: Log, pushAhead: PushAhead.Policy? = nil) {
        self.repository = repository
        self.options = options
        self.log = log
        self.pushAhead = pushAhead
    }

    public func push(path: String) throws -> Outcome {
        let fileName = try WALFileName(parsing: FileSystem.basename(of: path))
        let dataDirectory = DataDirectory.containing(walPath: path)
        let folder = OurWALFolder(dataDirectory: dataDirectory)
        let file = try SystemFile.openForReading(path)
        if try takeRecord(of: fileName, file: file, folder: folder) { return .pushedAhead }

        let identity = try ClusterIdentity.read(dataDirectory: dataDirectory)
        let archive = WALArchive(repository: repository, identity: identity)
        let store = WALFileStore(repository: repository, options: options, log: log)
        let segmentSize = try store.validate(file, as: fileName, cluster: identity)
        if let segmentSize {
            try archive.checkKeyAndSegmentSize(segmentSize, file: path)
        } else {
            try repository.checkEncryption()
        }

        // Only a segment PostgreSQL handed over from pg_wal has `.ready` neighbours to push ahead,
        // and a segment size checked against the archive that theirs must match.
        var ahead: PushAhead?
        if let policy = pushAhead, policy.limit > 0, let segmentSize, FileSystem.basename(of: FileSystem.dirname(of: path)) == "pg_wal" {
            ahead = try PushAhead.start(policy: policy, skipping: fileName, folder: folder, identity: identity,
                                        segmentSize: segmentSize, options: options, log: log)
        }
        let outcome = Result { try store.store(file, as: fileName, in: archive).0 }
        if case .failure = outcome { ahead?.stop() }
        ahead?.finish()
        return try outcome.get()
    }

    /// True when push-ahead stored `name` in this repository and `file` still has the recorded
    /// size and digest; the record is removed either way, as PostgreSQL asks for a name once.
    private func takeRecord(of name: WALFileName, file: SystemFile, folder: OurWALFolder) throws -> Bool {
        guard let record = PushRecord.read(name, in: folder.pushed) else { return false }
        let matches = try record.repository == repository.name
            && file.size() == record.trailer.originalSize
            && FileDigest.compute(file: file, key: repository.key) == record.trailer
        try PushRecord.remove(name, in: folder.pushed)
        if !matches {
            log.warning("'\(file.path)' changed since it was pushed ahead (or the repository did): pushing it again")
        }
        return matches
    }
}
