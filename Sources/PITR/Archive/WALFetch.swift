import PITRRepository
import PITRSupport
import PITRWAL

/// `wal-fetch`: hands one archived file to PostgreSQL's restore_command, whole and verified or
/// not at all (`ArchivedFileDownload`), from the prefetcher's staging folder when it holds the
/// segment, else from the repository.
///
/// With prefetch on, during a recovery (a postmaster runs and `recovery.signal` or
/// `standby.signal` is there), each segment request is recorded in the staging folder and the
/// background prefetcher is started if none runs (`Prefetcher`). History files are always
/// fetched directly.
public struct WALFetch {
    public enum Outcome: Equatable {
        case fetched(originalBytes: Int)
        /// Handed over from the staging folder, after checking it again.
        case staged
        /// The repository answered that the object does not exist: the end of the archive.
        case notFound
    }

    /// How wal-fetch uses the prefetcher.
    public struct Prefetch {
        /// Segments staged ahead of the request; 0 is off.
        public let depth: Int
        public let launcher: DetachedHelperLauncher

        public init(depth: Int, launcher: DetachedHelperLauncher) {
            self.depth = depth
            self.launcher = launcher
        }
    }

    /// How long a request waits for a download the prefetcher has under way before fetching itself.
    static let inProgressWait = 60.0

    let repository: Repository
    let log: Log
    let prefetch: Prefetch?
    /// Seconds a later file must have been stored before a missing one is a hole (`ArchiveHoles`).
    let gapGrace: Int
    /// The second repository (TAILTOWN_REPO2), asked when the first cannot serve the file.
    let second: Repository?

    public init(repository: Repository, log: Log, prefetch: Prefetch? = nil, gapGrace: Int = 60, second: Repository? = nil) {
        self.repository = repository
        self.log = log
        self.prefetch = prefetch
        self.gapGrace = gapGrace
        self.second = second
    }

    /// Fetches `name` from the first repository; with a second, from the second when the first answers that it is
    /// missing or fails (unreachable, or an object that does not authenticate), with a warning naming it. `.notFound`
    /// only when every repository answers that it is missing; when one fails and none has it, the first's error.
    public func fetch(name: String, to destination: String) throws -> Outcome {
        guard let second else { return try fetchHere(name: name, to: destination) }
        let fromFirst: Result<Outcome, any Error>
        do {
            fromFirst = .success(try fetchHere(name: name, to: destination))
        } catch {
            fromFirst = .failure(error)
        }
        if case .success(let outcome) = fromFirst, outcome != Outcome.notFound { return outcome }
        let outcome: Outcome
        do {
            outcome = try WALFetch(repository: second, log: log, gapGrace: gapGrace).fetchHere(name: name, to: destination)
        } catch {
            if case .failure(let firstError) = fromFirst { throw firstError }
            throw error
        }
        switch (fromFirst, outcome) {
        case (.failure(let error), .notFound):
            throw error
        case (_, .notFound):
            return .notFound
        case (.failure(let error), _):
            log.warning("\(name) could not be fetched from \(repository.name) (\((error as? PITRError)?.description ?? "\(error)")): fetched from the second repository \(second.name)")
        case (.success, _):
            log.warning("\(name) is missing from \(repository.name): fetched from the second repository \(second.name)")
        }
        return outcome
    }

    private func fetchHere(name: String, to destination: String) throws -> Outcome {
        let fileName = try WALFileName(parsing: name)
        let dataDirectory = DataDirectory.containing(walPath: destination)
        let identity = try ClusterIdentity.read(dataDirectory: dataDirectory)

        if case .segment(let segment) = fileName, let prefetch, prefetch.depth > 0,
           RecoveryGeneration.recoveryRequested(dataDirectory: dataDirectory),
           let generation = RecoveryGeneration.current(dataDirectory: dataDirectory, identity: identity, repository: repository.name) {
            do {
                if try takeStaged(segment, to: destination, dataDirectory: dataDirectory, identity: identity,
                                  generation: generation, prefetch: prefetch) {
                    return .staged
                }
            } catch let error as PITRError {
                // The staging folder is a shortcut: when it cannot be used, the segment is fetched directly.
                log.warning("prefetch skipped: \(error.description)")
            }
        }

        let download = ArchivedFileDownload(repository: repository, identity: identity)
        // On S3 in steady state one GET: archive.info and the log's entry come from the metadata cache. An object they
        // do not decode (bound to another identity) is fetched once more with them read from the repository.
        if let trailer = try repository.retryingWithFreshMetadata(log: log, { try download.download(fileName, to: destination, partial: .unnamed) }) {
            return .fetched(originalBytes: trailer.originalSize)
        }
        // "Not found" ends recovery, so it must come from a repository that is there:
        // an unmounted folder or a wrong TAILTOWN_REPO is an error, not the end of the archive.
        // PostgreSQL asks for the history of the timeline after the newest it knows, to find out
        // that there is none: that needs no such check, as a wrong repository is still caught at
        // the first segment, before recovery can end.
        if case .history = fileName {} else { try repository.checkExists() }
        // A standby asks again later and may stream meanwhile: to it a missing file is only "not yet".
        // Elsewhere a missing file that the archive shows WAL after is a hole, which must stop recovery.
        if !DataDirectory.isStandby(dataDirectory) {
            try ArchiveHoles(archive: WALArchive(repository: repository, identity: identity), grace: Int64(gapGrace)).check(fileName)
        }
        log.debug("\(name) is not in the archive")
        return .notFound
    }

    /// Records the request, makes sure the prefetcher runs, and takes `segment` from the staging
    /// folder if it is (or is about to be) there.
    private func takeStaged(_ segment: WALSegmentName, to destination: String, dataDirectory: String,
                            identity: ClusterIdentity, generation: RecoveryGeneration, prefetch: Prefetch) throws -> Bool {
        let folder = OurWALFolder(dataDirectory: dataDirectory)
        let staging = StagingFolder(path: folder.prefetch)
        let generations = try staging.claim(for: generation)
        try staging.writeRequest(segment, generation: generation)
        try prefetch.launcher.ensureRunning(.prefetcher(folder), dataDirectory: dataDirectory)
        let started = MonotonicClock.now()
        let deadline = started + Self.inProgressWait
        // The existence check first: listing the folder to find a download costs more, and a staged file needs none.
        while !FileSystem.exists(staging.file(segment)), staging.isDownloading(segment), MonotonicClock.now() < deadline {
            usleep(2_000)
        }
        let waited = MonotonicClock.now()
        let taken = staging.take(segment, to: destination, generations: generations, cluster: identity, log: log)
        log.debug("\(segment.fileName): \(taken ? "staged" : "not staged"), waited \(Self.milliseconds(waited - started)) ms for the prefetcher, "
            + "checked in \(Self.milliseconds(MonotonicClock.now() - waited)) ms")
        return taken
    }

    private static func milliseconds(_ seconds: Double) -> String {
        String(Double(Int(seconds * 10_000)) / 10)
    }
}
