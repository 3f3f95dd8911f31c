import PITRPipeline
import PITRRepository
import PITRSupport
import PITRWAL

/// `wal-push`: stores one file PostgreSQL hands to archive_command, exactly once, with the
/// background pusher (`BackgroundPusher`) storing the next `.ready` files ahead of its calls.
///
/// The file is checked before anything is written: its name must be a WAL segment, `.partial`,
/// `.history` or `.backup` name; a segment's page header must belong to this data directory's
/// cluster and to the segment its name says; a backup history file must parse and start where its
/// name says (`BackupHistoryFile`). An object already stored under the name is compared
/// by digest (its trailer, a ranged read): the same content is success, different content is an
/// error and nothing is overwritten. A file the background pusher already stored is recognised by
/// its `PushRecord` and answered without a request, once its size and digest match the record;
/// one it is storing right now is waited for (`inFlightWait` at most).
public struct WALPush {
    public enum Outcome: Equatable {
        case stored(originalBytes: Int)
        case alreadyArchived
        /// The background pusher stored it; the file still matches what was stored.
        case pushedAhead
    }

    /// How long a call waits for the background pusher to finish storing its file before storing it itself.
    static let inFlightWait = 60.0

    let repository: Repository
    let options: ObjectOptions
    let log: Log
    let pushAhead: DetachedHelperLauncher?
    /// With a second repository: what queues the file for it once stored here.
    let copy: CopyHandOver?

    /// `pushAhead` starts the background pusher; nil is push-ahead off: the call stores only its
    /// file (a record a pusher left is still taken) and asks a running pusher to stop.
    public init(repository: Repository, options: ObjectOptions, log: Log, pushAhead: DetachedHelperLauncher? = nil,
                copy: CopyHandOver? = nil) {
        self.repository = repository
        self.options = options
        self.log = log
        self.pushAhead = pushAhead
        self.copy = copy
    }

    /// Stores the file, then, with a second repository, queues its name for the copier: success means both.
    public func push(path: String) throws -> Outcome {
        let outcome = try store(path: path)
        guard let copy else { return outcome }
        let folder = OurWALFolder(dataDirectory: DataDirectory.containing(walPath: path))
        guard FileSystem.basename(of: FileSystem.dirname(of: path)) == "pg_wal" else {
            log.warning("'\(path)' is not in pg_wal: only PostgreSQL's files in pg_wal are queued for the second repository")
            return outcome
        }
        try copy.handOver(try WALFileName(parsing: FileSystem.basename(of: path)), folder: folder, log: log)
        return outcome
    }

    private func store(path: String) throws -> Outcome {
        let fileName = try WALFileName(parsing: FileSystem.basename(of: path))
        let folder = OurWALFolder(dataDirectory: DataDirectory.containing(walPath: path))
        let pushed = PushedFolder(path: folder.pushed)
        let file = try SystemFile.openForReading(path)
        if try takeRecord(of: fileName, file: file, pushed: pushed, dataDirectory: folder.dataDirectory) { return .pushedAhead }

        // Only PostgreSQL's calls for files in pg_wal work with the background pusher. The marker
        // tells it to leave this file alone; made before looking for its marker, so that of two
        // claims at the same moment at least one sees the other (the pusher then backs off).
        let fromPGWAL = FileSystem.basename(of: FileSystem.dirname(of: path)) == "pg_wal"
        var marker: InFlightPush?
        if fromPGWAL, pushAhead != nil {
            do {
                marker = try pushed.beginPush(of: fileName)
            } catch let error as PITRError {
                log.warning("push-ahead skipped: \(error.description)")
            }
            if waitWhilePushedByAnother(fileName, pushed: pushed), try takeRecord(of: fileName, file: file, pushed: pushed, dataDirectory: folder.dataDirectory) {
                marker?.end()
                return .pushedAhead
            }
        }
        defer { marker?.end() }

        let identity = try ClusterIdentity.read(dataDirectory: folder.dataDirectory)
        let archive = WALArchive(repository: repository, identity: identity)
        let store = WALFileStore(repository: repository, options: options, log: log)
        let segmentSize = try store.validate(file, as: fileName, cluster: identity)
        // On S3 in steady state one request: archive.info comes from the metadata cache, and the conditional PUT answers
        // whether the name is taken. What stale metadata could explain is tried once more with it read anew.
        return try repository.retryingWithFreshMetadata(log: log) {
            try archive.checkKeyAndSegmentSize(segmentSize, file: path)
            // Only a segment brings a segment size checked against the archive, which the pusher's must match.
            if fromPGWAL, segmentSize != nil {
                do {
                    try BackgroundPusher.keepInStep(with: fileName, folder: folder, repository: repository, launcher: pushAhead)
                } catch let error as PITRError {
                    log.warning("push-ahead skipped: \(error.description)")
                }
            }
            return try store.store(file, as: fileName, in: archive).0
        }
    }

    /// True when `name` had another process's marker and it went away (the pusher finished or
    /// gave up, or was killed); false at once when there was none, or after `inFlightWait`.
    private func waitWhilePushedByAnother(_ name: WALFileName, pushed: PushedFolder) -> Bool {
        guard pushed.isPushedByAnother(name) else { return false }
        let started = MonotonicClock.now()
        while pushed.isPushedByAnother(name) {
            if MonotonicClock.now() - started > WALPush.inFlightWait {
                log.warning("the background pusher has been storing \(name.fileName) for \(Int(WALPush.inFlightWait)) s: storing it here")
                return false
            }
            usleep(1_000)
        }
        log.debug("waited \(Int((MonotonicClock.now() - started) * 1000)) ms for the background pusher to store \(name.fileName)")
        return true
    }

    /// True when the background pusher stored `name` in this repository and `file` still has the
    /// recorded size and digest; the record is removed either way, as PostgreSQL asks for a name once.
    private func takeRecord(of name: WALFileName, file: SystemFile, pushed: PushedFolder, dataDirectory: String) throws -> Bool {
        guard let record = pushed.record(of: name) else { return false }
        let archive = WALArchive(repository: repository, identity: try ClusterIdentity.read(dataDirectory: dataDirectory))
        let store = WALFileStore(repository: repository, options: options, log: log)
        let matches = try record.repository == repository.name
            && file.size() == record.trailer.originalSize
            && store.localTrailer(of: file, like: record.trailer, key: archive.key(for: name), identity: try archive.objectIdentity(of: name))
                == record.trailer
        try pushed.removeRecord(of: name)
        if !matches {
            log.warning("'\(file.path)' changed since it was pushed ahead (or the repository did): pushing it again")
        }
        return matches
    }
}
