import PITRPipeline
import PITRRepository
import PITRSupport
import PITRWAL

/// The background pusher (`wal-push-ahead`, started by wal-push): stores the `.ready` files of a
/// data directory ahead of PostgreSQL's calls, on `concurrency` worker threads each with its own
/// repository connection, and leaves a `PushRecord` for each file stored whole. PostgreSQL's
/// later call for such a file checks the record against the file and exits at once, so the
/// archiver keeps up with a WAL rate one request at a time cannot, while the calls that only check
/// records and the uploads run side by side.
///
/// At most one runs per data directory (`DetachedHelper.pusher`, whose lock file names the
/// repository it serves). `PushQueue` chooses the files. A failure here is never PostgreSQL's
/// failure: the file keeps its `.ready` marker and no record, PostgreSQL's own call pushes it and
/// reports what is wrong, and the pusher stops. It also stops when PostgreSQL has not called for
/// `idleTimeout` seconds, when the postmaster is gone, when a wal-push asks it to (`requestStop`:
/// another repository or push-ahead turned off) and when the archive_command in force is not ours.
/// Killed at any moment, it leaves at worst markers of a dead pid, which nobody waits for and the
/// next pusher removes, and uploads the repository never shows: never a record of a file not stored.
public struct BackgroundPusher {
    let dataDirectory: String
    /// Most records and pushes outstanding at once (TAILTOWN_PUSH_AHEAD).
    let limit: Int
    /// Worker threads (TAILTOWN_UPLOAD_CONCURRENCY).
    let concurrency: Int
    /// Opens a new connection to the repository, for one worker.
    let openRepository: RepositoryOpener
    let options: ObjectOptions
    let log: Log
    var idleTimeout = 2.0
    /// How often a waiting worker looks at the folders again. A worker waits when the limit is
    /// reached, so PostgreSQL has records to take meanwhile, or when nothing is ready but
    /// PostgreSQL's next file, which its own call stores: a short delay costs nothing.
    var pollInterval = 0.01
    /// How often the postmaster and a stop request are checked.
    var checkInterval = 0.05

    public init(dataDirectory: String, limit: Int, concurrency: Int, options: ObjectOptions, log: Log,
                openRepository: @escaping RepositoryOpener) {
        self.dataDirectory = dataDirectory
        self.limit = limit
        self.concurrency = concurrency
        self.options = options
        self.log = log
        self.openRepository = openRepository
    }

    /// Runs until the pusher stops; returns why (the reason it logs), nil when it never started
    /// (push-ahead off, another pusher holds the lock, no postmaster).
    @discardableResult
    public func run() throws -> String? {
        guard limit > 0 else { return nil }
        let folder = OurWALFolder(dataDirectory: dataDirectory)
        let helper = DetachedHelper.pusher(folder)
        try FileSystem.makeDirectories(helper.folder)
        guard let lock = try HelperLock.take(helper.lockPath, attempts: 5) else { return nil }
        defer { withExtendedLifetime(lock) {} }
        // A stop request written before this pusher held the lock was for an earlier one.
        try FileSystem.remove(BackgroundPusher.stopPath(helper))
        guard let postmaster = Postmaster.current(dataDirectory: dataDirectory) else {
            log.debug("no postmaster runs on \(dataDirectory): nothing calls wal-push, the pusher stops")
            return nil
        }
        let repository = try openRepository()
        try lock.describeHolder(BackgroundPusher.holderDescription(repository: repository))

        let identity = try ClusterIdentity.read(dataDirectory: dataDirectory)
        let archive = WALArchive(repository: repository, identity: identity)
        // The wal-push that started this pusher checked its own segment against the same record.
        let segmentSize = try archive.checkedSegmentSize()
        let ready = try ReadySegments.list(archiveStatus: folder.archiveStatus)
        try PushedFolder(path: folder.pushed).removeStale(ready: Set(ready.map(\.fileName)))

        let queue = PushQueue(folder: folder, limit: limit, pollInterval: pollInterval)
        var workers: [WorkerThread] = []
        for index in 0..<max(1, concurrency) {
            let worker = Worker(queue: queue, folder: folder, identity: identity, segmentSize: segmentSize,
                                options: options, log: log, repository: index == 0 ? repository : nil, openRepository: openRepository)
            do {
                workers.append(try WorkerThread { worker.run() })
            } catch {
                // Fewer threads than asked is still progress; none at all is no push-ahead.
                log.warning("background pusher: \(error)")
                break
            }
        }
        log.debug("background pusher for \(dataDirectory): \(workers.count) thread(s), at most \(limit) outstanding")

        while queue.stoppedBecause == nil {
            usleep(useconds_t(checkInterval * 1_000_000))
            if !postmaster.isRunning(on: dataDirectory) {
                queue.stop("the postmaster \(postmaster.pid) is gone")
            } else if FileSystem.exists(BackgroundPusher.stopPath(helper)) {
                queue.stop("a wal-push asked it to (another repository, or push-ahead turned off)")
            } else if queue.secondsSincePostgreSQLCalled > idleTimeout {
                queue.stop("PostgreSQL has not called wal-push for \(idleTimeout) s")
            }
        }
        workers.forEach { $0.join() }
        log.debug("background pusher stops: \(queue.stoppedBecause ?? "")")
        return queue.stoppedBecause
    }

    /// Keeps the background pusher in step with a wal-push that stores `name` itself: with
    /// push-ahead on (`launcher`), starts one unless it runs, when another file waits; asks a
    /// running one to stop when it serves another repository, or when push-ahead is off.
    static func keepInStep(with name: WALFileName, folder: OurWALFolder, repository: Repository,
                           launcher: DetachedHelperLauncher?) throws {
        let helper = DetachedHelper.pusher(folder)
        if FileSystem.exists(helper.lockPath), let holder = try HelperLock.holderDescription(helper.lockPath) {
            // An empty description: a pusher that has just started and not yet said whom it serves.
            if !holder.isEmpty, launcher == nil || holder != holderDescription(repository: repository) {
                let stop = stopPath(helper)
                if !FileSystem.exists(stop) { _ = try? SystemFile.createExclusive(stop) }
            }
            return
        }
        guard let launcher, try ReadySegments.list(archiveStatus: folder.archiveStatus).contains(where: { $0 != name }) else { return }
        try launcher.ensureRunning(helper, dataDirectory: folder.dataDirectory)
    }

    private static func stopPath(_ helper: DetachedHelper) -> String { helper.folder + "/stop" }

    private static func holderDescription(repository: Repository) -> String {
        "repository=\(repository.name)\n"
    }

    /// One worker thread: stores the files the queue hands out until it stops.
    private struct Worker {
        let queue: PushQueue
        let folder: OurWALFolder
        let identity: ClusterIdentity
        let segmentSize: WALSegmentSize
        let options: ObjectOptions
        let log: Log
        /// The connection the pusher opened already, for the first worker.
        let repository: Repository?
        let openRepository: RepositoryOpener

        func run() {
            let connection: Repository
            do {
                connection = try repository ?? openRepository()
            } catch {
                log.warning("background pusher: \(error)")
                return
            }
            let store = WALFileStore(repository: connection, options: options, log: log)
            let archive = WALArchive(repository: connection, identity: identity)
            // An independent upload (file://) commits beside the next encoding; an S3 upload sends through
            // this worker's connection, so it commits here (as does a worker whose second thread could not start).
            let commits = connection.storage.uploadsAreIndependent ? try? HandOffThread() : nil
            while let push = queue.next() {
                do {
                    let started = MonotonicClock.now()
                    guard let encoding = try encode(push, store: store, archive: archive) else {
                        queue.finished(push, stored: false)
                        continue
                    }
                    let finish = { self.finish(push, encoding, store: store, archive: archive, started: started) }
                    if let commits { commits.hand(finish) } else { finish() }
                } catch {
                    fail(push, error)
                }
            }
            commits?.close()
        }

        /// Opens, checks and encodes the file; nil when it left pg_wal meanwhile.
        private func encode(_ push: InFlightPush, store: WALFileStore, archive: WALArchive) throws -> WALFileStore.Encoding? {
            let path = folder.wal + "/" + push.name.fileName
            let file: SystemFile
            do {
                file = try SystemFile.openForReading(path)
            } catch let error as IOError where error.isNotFound {
                push.end()
                return nil
            }
            let size = try store.validate(file, as: push.name, cluster: identity)
            if let size, size != segmentSize {
                throw ArchiveError.segmentSizeMismatch(file: path, archive: archive.repository.storage.describe(archive.folder),
                                                       archived: segmentSize.bytes, given: size.bytes)
            }
            return try store.encode(file, as: push.name, in: archive)
        }

        /// Commits the object (unless the archive held it already) and only then records it.
        private func finish(_ push: InFlightPush, _ encoding: WALFileStore.Encoding, store: WALFileStore, archive: WALArchive,
                            started: Double) {
            do {
                let trailer: ObjectTrailer
                switch encoding {
                case .done(_, let stored): trailer = stored
                case .uncommitted(let object): trailer = try store.commit(object).1
                }
                try push.complete(as: PushRecord(name: push.name, repository: archive.repository.name, trailer: trailer))
                log.debug("pushed \(push.name.fileName) in \(Int((MonotonicClock.now() - started) * 1000)) ms")
                queue.finished(push, stored: true)
            } catch {
                fail(push, error)
            }
        }

        /// The file keeps its `.ready` marker and no record; PostgreSQL's own call archives it.
        private func fail(_ push: InFlightPush, _ error: Error) {
            push.end()
            queue.finished(push, stored: false)
            log.warning("push of \(push.name.fileName) failed, PostgreSQL's own call will archive it: \(error)")
            queue.stop("a push failed")
        }
    }
}
