import ArgumentParser
import PITRConfig
import PITRPipeline
import PITRRepository
import PITRRestore
import PITRRetention
import PITRStorage
import PITRSupport

/// What every command starts from: the settings, the log, and one way to end on an error.
struct Invocation {
    let settings: Settings
    let log: Log
    let environment = ProcessEnvironment.current()

    /// Loads the settings; a configuration error ends the command with `failureStatus`.
    init(_ options: GlobalOptions, failureStatus: Int32 = 1) throws {
        try self.init(flags: options.flags, failureStatus: failureStatus)
    }

    /// The same, from flags keyed by the setting they override.
    init(flags: [String: String], failureStatus: Int32 = 1) throws {
        do {
            settings = try Settings.load(flags: flags, environment: environment)
            log = Log(level: try settings.logLevel())
        } catch let error as PITRError {
            Log().error(error.description)
            throw ExitCode(failureStatus)
        }
        for warning in settings.environmentWarnings {
            log.warning(warning)
        }
        // Only at debug level: wal-fetch and wal-push start once per segment, and the report is
        // not free (every setting formatted, dictionaries of strings built).
        if log.level <= .debug {
            for line in settings.report() {
                log.debug("setting \(line)")
            }
        }
    }

    func repository() throws -> Repository {
        try Repository.open(settings: settings, environment: environment, log: log, lockHorizon: settings.objectLockHorizon())
    }

    /// Both repositories when TAILTOWN_REPO2 is set (`first` the one already open), nil otherwise; a second repository
    /// where the first is refused here, before anything is read.
    func secondRepository(first: Repository) throws -> SecondRepository? {
        try openSecondRepository().map { SecondRepository(first: first, second: $0) }
    }

    /// The second repository alone (TAILTOWN_REPO2), nil when it is not set.
    func openSecondRepository() throws -> Repository? {
        guard let settings = try settings.secondRepository() else { return nil }
        return try Repository.open(settings: settings, environment: environment, log: log, lockHorizon: settings.objectLockHorizon())
    }

    /// The repository that `backup-push` and `dump-push` write: with TAILTOWN_REPO2, both at once (`MirroredStorage`:
    /// one pass over the encoded bytes), after the second was set up (`SecondRepository.setUp`); the first alone when
    /// the second cannot be reached now, with a warning. A second repository that must not be used ends the command.
    func writingRepository() throws -> (Repository, MirroredStorage?) {
        let first = try repository()
        guard let pair = try secondRepository(first: first) else { return (first, nil) }
        do {
            try pair.setUp(archives: [])
        } catch let error as SecondRepositoryError {
            throw error
        } catch let error as PITRError {
            log.warning("the second repository \(pair.second.name) cannot be written now, this run goes to \(first.name) alone: \(error.description)")
            return (first, nil)
        }
        let mirrored = MirroredStorage(first: first.storage, second: pair.second.storage, log: log)
        let both = Repository(storage: mirrored, keyring: first.keyring, log: log)
        both.metadataCache = first.metadataCache
        return (both, mirrored)
    }

    /// Ends a run that wrote `mirrored`: a warning naming what the second repository did not get.
    func reportSecond(_ mirrored: MirroredStorage?) {
        guard let mirrored, let failure = mirrored.secondFailures.first else { return }
        log.warning("\(mirrored.secondFailures.count) object(s) from \(failure.key) on were not written to the second repository "
                    + "\(mirrored.second.describe("")) (\(failure.reason)): they are in the first only, status shows the difference")
    }

    /// At debug level, the requests `repository`'s storage sent (S3 only): what the bench counts per wal-push and wal-fetch.
    func logRequests(of repository: Repository) {
        guard log.level <= .debug, let requests = repository.storage.requests else { return }
        log.debug("\(requests.writes) PUT/POST/LIST, \(requests.reads) GET/HEAD and \(requests.deletes) DELETE requests to \(repository.name)")
    }

    /// The repository `restore` and `dump-fetch` read: with TAILTOWN_REPO2, each object from the first that has it
    /// (`FallbackStorage`), else the first alone.
    func readingRepository() throws -> Repository {
        let first = try repository()
        guard let pair = try secondRepository(first: first) else { return first }
        return Repository(storage: FallbackStorage(first: first.storage, second: pair.second.storage, log: log), keyring: first.keyring, log: log)
    }

    /// The restore path of `restore` and `verify --restore-test`, staging WAL on connections of its own.
    func restoreProcedure(pgBin: String?) throws -> RestoreProcedure {
        var procedure = RestoreProcedure(repository: try readingRepository(), settings: settings, log: log)
        procedure.openRepository = readingRepository
        procedure.pgBin = pgBin
        return procedure
    }

    /// The configured keys, wrapped ones unwrapped (`KeyWrapping`).
    func keyring() throws -> Keyring? {
        try settings.keyring(home: environment["HOME"], log: log)
    }

    /// How wrapped keys are made and unwrapped: KMS and the passphrase, from the settings.
    func keyWrapping() -> KeyWrapping {
        KeyWrapping(settings: settings, home: environment["HOME"], log: log)
    }

    /// How new objects are written: compression, level and `key` (the active key of a repository already open, so
    /// that the keys are read, and wrapped ones unwrapped, once).
    func objectOptions(key: MasterKey?) throws -> ObjectOptions {
        ObjectOptions(compression: try settings.compression(), level: try settings.compressionLevel(), key: key)
    }

    /// Runs `body`; an error is logged as one line and ends the command with status 1.
    func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PITRError {
            log.error(error.description)
            throw ExitCode(1)
        }
    }
}
