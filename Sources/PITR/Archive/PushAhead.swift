#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Push-ahead: while wal-push stores the file PostgreSQL asked for, worker threads store the
/// next `.ready` files, each over its own repository connection, and leave a `PushRecord` for
/// each one stored whole. PostgreSQL's later call for such a file finds the record and returns
/// at once, so the archiver keeps up with a WAL rate one request at a time cannot.
///
/// A failure here is never the caller's failure: the file keeps its `.ready` marker and no
/// record, and PostgreSQL's own call pushes it (and reports the error if it persists).
public final class PushAhead {
    public struct Policy {
        /// Most files stored ahead per call.
        public let limit: Int
        /// Worker threads, each with its own connection.
        public let concurrency: Int
        /// Opens a new connection to the same repository, for one worker.
        public let openRepository: () throws -> Repository

        public init(limit: Int, concurrency: Int, openRepository: @escaping () throws -> Repository) {
            self.limit = limit
            self.concurrency = concurrency
            self.openRepository = openRepository
        }
    }

    private let workers: [WorkerThread]
    private let cursor: Cursor

    private init(workers: [WorkerThread], cursor: Cursor) {
        self.workers = workers
        self.cursor = cursor
    }

    /// Starts the workers on the `.ready` files other than `skipping` that have no record yet,
    /// the first `policy.limit` of them in archiving order. `segmentSize` is the size already
    /// checked against the archive: every segment pushed ahead must have it. Returns nil when
    /// there is nothing to do.
    static func start(policy: Policy, skipping: WALFileName, folder: OurWALFolder, identity: ClusterIdentity,
                      segmentSize: WALSegmentSize, options: ObjectOptions, log: Log) throws -> PushAhead? {
        try PushRecord.removeStale(in: folder.pushed, walFolder: folder.wal)
        let candidates = try ReadySegments.list(archiveStatus: folder.archiveStatus).filter {
            $0 != skipping && PushRecord.read($0, in: folder.pushed) == nil
        }
        let files = Array(candidates.prefix(policy.limit))
        guard !files.isEmpty else { return nil }
        let cursor = Cursor(files)
        var workers: [WorkerThread] = []
        for _ in 0..<min(policy.concurrency, files.count) {
            let worker = Worker(policy: policy, cursor: cursor, folder: folder, identity: identity,
                                segmentSize: segmentSize, options: options, log: log)
            do {
                workers.append(try WorkerThread { worker.run() })
            } catch {
                // Fewer threads than asked is still progress; none at all is no push-ahead.
                log.warning("push-ahead: \(error)")
                break
            }
        }
        log.debug("push-ahead: \(files.count) file(s) on \(workers.count) thread(s)")
        return PushAhead(workers: workers, cursor: cursor)
    }

    /// Waits for the workers; files they had not started are left to PostgreSQL's calls.
    func finish() {
        workers.forEach { $0.join() }
    }

    /// Stops handing out files (a worker finishes the one it is storing).
    func stop() { cursor.stop() }

    /// One worker: takes files from the cursor until it is empty.
    private struct Worker {
        let policy: Policy
        let cursor: Cursor
        let folder: OurWALFolder
        let identity: ClusterIdentity
        let segmentSize: WALSegmentSize
        let options: ObjectOptions
        let log: Log

        func run() {
            let repository: Repository
            do {
                repository = try policy.openRepository()
            } catch {
                log.warning("push-ahead: \(error)")
                return
            }
            let store = WALFileStore(repository: repository, options: options, log: log)
            let archive = WALArchive(repository: repository, identity: identity)
            while let name = cursor.next() {
                do {
                    try push(name, store: store, archive: archive)
                } catch {
                    log.warning("push-ahead of \(name.fileName) failed, PostgreSQL's own call will archive it: \(error)")
                }
            }
        }

        private func push(_ name: WALFileName, store: WALFileStore, archive: WALArchive) throws {
            let path = folder.wal + "/" + name.fileName
            let file: SystemFile
            do {
                file = try SystemFile.openForReading(path)
            } catch let error as IOError where error.isNotFound {
                return  // archived and removed meanwhile
            }
            let size = try store.validate(file, as: name, cluster: identity)
            if let size, size != segmentSize {
                throw ArchiveError.segmentSizeMismatch(file: path, archive: archive.repository.storage.describe(archive.folder),
                                                       archived: segmentSize.bytes, given: size.bytes)
            }
            let (_, trailer) = try store.store(file, as: name, in: archive)
            try PushRecord(name: name, repository: archive.repository.name, trailer: trailer).write(into: folder.pushed)
        }
    }

    /// The files to push, handed out one at a time under a lock.
    private final class Cursor {
        private var files: [WALFileName]
        private var index = 0
        private var stopped = false
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

        init(_ files: [WALFileName]) {
            self.files = files
            pthread_mutex_init(lock, nil)
        }

        deinit {
            pthread_mutex_destroy(lock)
            lock.deallocate()
        }

        func next() -> WALFileName? {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            guard !stopped, index < files.count else { return nil }
            index += 1
            return files[index - 1]
        }

        func stop() {
            pthread_mutex_lock(lock)
            stopped = true
            pthread_mutex_unlock(lock)
        }
    }
}
