import PITRRepository
import PITRSupport
import PITRWAL
import PITRArchive

/// Stages the WAL a restore will replay into the prefetch staging folder of the restored data
/// directory before PostgreSQL starts on it, on every core, so that recovery finds each segment
/// already there and wal-fetch hands it over by a hard link: replay then runs without a prefetcher
/// competing with it for the processor and the page cache (Barman copies the WAL up front too).
///
/// Each file passes the prefetcher's checks (`ArchivedFileDownload` with the timeline's lineage)
/// and gets its sidecar; the folder belongs to a restore generation, which the first recovery on
/// the directory adopts (`RecoveryGeneration.adopts`), and wal-fetch checks each file again when
/// it hands it over. Each file is synced as it is staged (see `stage`), not for durability (a
/// damaged file is fetched again) but so that replay does not share the disk with its write-back.
/// Staging takes at most half the free space of pg_wal's file system; what
/// does not fit is left to the prefetcher. A failure stops staging, never the restore: wal-fetch
/// fetches whatever is not staged, and reports what is wrong with it.
///
/// The folders are made by descriptor and stay root's, 0700, while root writes into them (through
/// /proc's link to the open folder, so no path the data directory's owner can change is followed),
/// and are handed to the owner last.
struct WALPrestager {
    let repository: Repository
    let identity: ClusterIdentity
    let dataDirectory: OpenDirectory
    let segmentSize: WALSegmentSize
    /// Applied to every file and folder staged (restore running as root hands them to PostgreSQL's user).
    let owner: FileOwner
    let log: Log
    /// Opens another connection to the repository, one per thread after the first; nil stages on one thread.
    var openRepository: RepositoryOpener?

    struct Result: Equatable {
        /// Segments staged, and those of the plan left to the prefetcher (beyond the budget, or after a failure).
        var staged = 0
        var left = 0
    }

    /// How many of `count` segments fit in half of `available` bytes.
    static func fitting(_ count: Int, segmentSize: WALSegmentSize, available: Int) -> Int {
        min(count, max(0, available / 2) / Int(segmentSize.bytes))
    }

    /// Stages `segments` (the plan's, in replay order) on up to `threads` threads, oldest first.
    func stage(_ segments: [WALSegmentName], threads: Int) throws -> Result {
        let wal = try dataDirectory.directory("pg_wal")
        let ours = try wal.makeDirectory(FileSystem.basename(of: OurWALFolder(dataDirectory: "").root), mode: 0o700)
        let prefetch = try ours.makeDirectory(FileSystem.basename(of: OurWALFolder(dataDirectory: "").prefetch), mode: 0o700)
        defer {
            // Handed over whatever happened, or wal-fetch, as the owner, could not use the folder.
            if owner.needsHandOver {
                for name in (try? prefetch.list()) ?? [] { try? prefetch.changeOwner(of: name, uid: owner.uid, gid: owner.gid) }
                for folder in [prefetch, ours] { try? folder.changeOwner(uid: owner.uid, gid: owner.gid) }
            }
        }
        return try withExtendedLifetime(prefetch) {
            try stage(segments, threads: threads, into: StagingFolder(path: prefetch.procPath), walPath: wal.path)
        }
    }

    private func stage(_ segments: [WALSegmentName], threads: Int, into staging: StagingFolder, walPath: String) throws -> Result {
        let generation = RecoveryGeneration.restore(identity: identity, repository: repository.name)
        try staging.start(for: generation)
        try owner.take(path: staging.path + "/generation")

        let archive = WALArchive(repository: repository, identity: identity)
        var lineages: [TimelineID: Set<TimelineID>] = [:]
        for timeline in Set(segments.map(\.timeline)) { lineages[timeline] = try archive.lineage(of: timeline) }
        let planned = Self.fitting(segments.count, segmentSize: segmentSize, available: try FileSystem.availableBytes(staging.path))
        if planned < segments.count {
            log.info("staging \(planned) of \(segments.count) WAL segments before recovery (half the free space of \(walPath)); the prefetcher fetches the rest")
        }

        let progress = Progress(count: planned)
        let work = { (connection: Repository) in
            let download = ArchivedFileDownload(repository: connection, identity: identity)
            while let index = progress.next() {
                let segment = segments[index]
                do {
                    let stored = try download.download(.segment(segment), to: staging.file(segment), lineage: lineages[segment.timeline]) { verified, checksum in
                        // Written back now, while the other thread decodes: left dirty, gigabytes of staged WAL
                        // would be written back during replay, and the kernel would throttle PostgreSQL's own writes.
                        try SystemFile.openForReading(verified).sync()
                        try owner.take(path: verified)
                        try staging.writeSidecar(segment, verified: verified, checksum: checksum, generation: generation)
                        try owner.take(path: staging.sidecar(segment))
                    }
                    guard stored != nil else {
                        progress.fail("\(connection.storage.describe(archive.key(for: .segment(segment)))) is no longer in the repository: recovery will stop there")
                        continue
                    }
                    progress.done()
                } catch {
                    try? staging.remove(segment)
                    progress.fail("staging \(segment.fileName) before recovery failed, recovery fetches it and the rest itself: \(error)")
                }
            }
        }
        // Fewer threads than asked (a connection or a thread refused) is still progress.
        var workers: [WorkerThread] = []
        for _ in 1..<max(1, min(threads, planned)) {
            guard let connection = try? openRepository?(), let worker = try? WorkerThread("staging WAL", { work(connection) }) else { break }
            workers.append(worker)
        }
        work(repository)
        for worker in workers { worker.join() }
        if let failure = progress.failure { log.warning(failure) }
        return Result(staged: progress.staged, left: segments.count - progress.staged)
    }

    /// The threads' shared state: the next segment to stage, how many are staged, the first failure.
    private final class Progress: @unchecked Sendable {
        private let count: Int
        private let lock = ConditionLock()
        // Guarded by `lock`.
        private var nextIndex = 0
        private var stagedCount = 0
        private var firstFailure: String?

        init(count: Int) { self.count = count }

        /// The index of the next segment to stage; nil when all are handed out or one failed.
        func next() -> Int? {
            lock.locked {
                guard firstFailure == nil, nextIndex < count else { return nil }
                defer { nextIndex += 1 }
                return nextIndex
            }
        }

        func done() { lock.locked { stagedCount += 1 } }
        func fail(_ message: String) { lock.locked { if firstFailure == nil { firstFailure = message } } }
        var staged: Int { lock.locked { stagedCount } }
        var failure: String? { lock.locked { firstFailure } }
    }
}
