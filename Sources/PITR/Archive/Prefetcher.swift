import PITRRepository
import PITRSupport
import PITRWAL

/// The background prefetcher (`wal-prefetch`, started by wal-fetch): keeps the `depth` segments
/// after the last requested one, on its timeline, verified in the staging folder, so that the
/// next wal-fetch is a rename instead of a download.
///
/// At most one runs per data directory (`DetachedHelper`). It stages only what passed every check
/// wal-fetch makes, plus the first page's timeline against the history of the requested timeline,
/// and it removes staged files recovery will not ask for any more (an older position, an older timeline).
/// It ends on its own: when no request came for `idleTimeout` seconds, or at once, emptying the
/// staging folder, when recovery ended or another postmaster took over (`RecoveryGeneration`).
/// Killed at any moment, it leaves at worst a temporary file, which the next prefetcher removes
/// and which is never served.
public struct Prefetcher {
    let repository: Repository
    let dataDirectory: String
    let depth: Int
    let log: Log
    var idleTimeout = 30.0
    /// A segment the archive does not have yet is asked for again after this long (a standby's archive grows).
    var missingRetry = 1.0

    public init(repository: Repository, dataDirectory: String, depth: Int, log: Log) {
        self.repository = repository
        self.dataDirectory = dataDirectory
        self.depth = depth
        self.log = log
    }

    public func run() throws {
        guard depth > 0 else { return }
        let folder = OurWALFolder(dataDirectory: dataDirectory)
        let staging = StagingFolder(path: folder.prefetch)
        try FileSystem.makeDirectories(staging.path)
        guard let lock = try HelperLock.take(DetachedHelper.prefetcher(folder).lockPath, attempts: 5) else { return }
        defer { withExtendedLifetime(lock) {} }
        try staging.removeAbandonedDownloads()

        let identity = try ClusterIdentity.read(dataDirectory: dataDirectory)
        guard let generation = currentGeneration(identity) else { return }
        let download = ArchivedFileDownload(repository: repository, identity: identity)
        let archive = WALArchive(repository: repository, identity: identity)
        let segmentSize = try archive.checkedSegmentSize()
        var lineages: [TimelineID: Set<TimelineID>] = [:]
        var missingSince: [WALSegmentName: Double] = [:]
        var lastRequest: WALSegmentName?
        var lastChange = MonotonicClock.now()

        while true {
            guard RecoveryGeneration.recoveryRequested(dataDirectory: dataDirectory), currentGeneration(identity) == generation else {
                log.debug("recovery ended or restarted: the prefetcher stops and empties \(staging.path)")
                try staging.removeStaged()
                return
            }
            let now = MonotonicClock.now()
            let request = staging.request(for: generation)
            if request != lastRequest {
                lastRequest = request
                lastChange = now
            }
            if now - lastChange > idleTimeout {
                log.debug("no request for \(Int(idleTimeout)) s: the prefetcher stops")
                return
            }
            guard let request else {
                usleep(50_000)
                continue
            }

            let window = Prefetcher.segments(after: request, depth: depth, segmentSize: segmentSize)
            let contents = try staging.contents()
            let staged = Set(contents.staged)
            // What recovery has moved past, handed over or not: PostgreSQL holds its own link to what
            // it took, so removing the staged name frees nothing it reads.
            for segment in staged where !Prefetcher.keeps(segment, request: request) {
                try staging.remove(segment)
            }
            for segment in contents.orphaned { try FileSystem.remove(staging.file(segment)) }
            // The next two hand-overs' checks, done while PostgreSQL replays rather than while it waits.
            for segment in window.prefix(2) where staged.contains(segment) { staging.verifyAhead(segment, log: log) }
            guard let next = window.first(where: { !staged.contains($0) }),
                  now - (missingSince[next] ?? -.infinity) >= missingRetry else {
                usleep(20_000)
                continue
            }

            do {
                if lineages[next.timeline] == nil { lineages[next.timeline] = try archive.lineage(of: next.timeline) }
                let stored = try download.download(.segment(next), to: staging.file(next), lineage: lineages[next.timeline]) { verified, checksum in
                    try staging.writeSidecar(next, verified: verified, checksum: checksum, generation: generation)
                }
                if stored == nil {
                    missingSince[next] = now
                } else {
                    missingSince[next] = nil
                    log.debug("staged \(next.fileName) in \(Int((MonotonicClock.now() - now) * 1000)) ms, \(staged.count) staged before it")
                }
            } catch {
                // Not staged: wal-fetch fetches it itself and reports what is wrong.
                log.warning("prefetch of \(next.fileName) failed: \(error)")
                try? staging.remove(next)
                missingSince[next] = now
            }
        }
    }

    /// The `depth` segments after `request` on its timeline, in order.
    static func segments(after request: WALSegmentName, depth: Int, segmentSize: WALSegmentSize) -> [WALSegmentName] {
        var segments: [WALSegmentName] = []
        var current = request
        for _ in 0..<depth {
            current = current.next(segmentSize)
            segments.append(current)
        }
        return segments
    }

    /// Whether a staged segment stays: the requested one (wal-fetch is taking it right now) and
    /// those after it on its timeline or a later one do (the window, and what `restore` staged along
    /// the plan's timeline path); an older position or an older timeline, which recovery will never
    /// ask for again, do not.
    static func keeps(_ segment: WALSegmentName, request: WALSegmentName) -> Bool {
        segment == request || (segment.timeline >= request.timeline && (segment.high, segment.low) > (request.high, request.low))
    }

    private func currentGeneration(_ identity: ClusterIdentity) -> RecoveryGeneration? {
        RecoveryGeneration.current(dataDirectory: dataDirectory, identity: identity, repository: repository.name)
    }
}
