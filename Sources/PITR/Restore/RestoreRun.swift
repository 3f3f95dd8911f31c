/// `restore` as the command runs it (docs/recovery.md): plans and shows the plan; unless asked
/// for a dry run, writes the data directory; with `start`, starts PostgreSQL on it and waits until
/// recovery reaches the target. Each line for the user goes to `say`, with the time of each phase.
public struct RestoreRun {
    public let repository: Repository
    public let settings: Settings
    public let log: Log
    /// Print the plan and stop before writing anything.
    public var dryRun = false
    /// Start PostgreSQL on the restored directory and wait for the target.
    public var start = false
    /// PostgreSQL's bin folder for `start`; nil for the backup's version's, else pg_config's.
    public var pgBin: String?
    /// Opens another connection to the repository (`RestoreExecutor.openRepository`).
    public var openRepository: (() throws -> Repository)?

    public init(repository: Repository, settings: Settings, log: Log) {
        self.repository = repository
        self.settings = settings
        self.log = log
    }

    public func run(_ request: RestoreRequest, _ options: RestoreOptions, say: @escaping (String) -> Void) throws {
        let planClock = Stopwatch()
        let plan = try RestorePlanner(repository: repository, log: log).plan(request)
        let planSeconds = planClock.seconds
        say("plan (\(Stopwatch.text(planSeconds))):")
        for line in plan.report { say("  " + line) }
        if dryRun { return }

        let executor = RestoreExecutor(repository: repository, settings: settings, log: log)
        executor.onProgress = { say("  " + $0) }
        executor.openRepository = openRepository
        say("restore into \(options.targetDirectory):")
        let summary = try executor.execute(plan, options)
        say("restored \(summary.files) files, \(RestoreExecutor.megabytes(summary.bytes)) in \(Stopwatch.text(summary.seconds)), owned by \(summary.owner.name)")
        guard start else {
            say("next: start it with `pg_ctl -D \(summary.targetDirectory) start` as \(summary.owner.name) (docs/recovery.md)")
            return
        }
        let starter = PostgresStarter(
            dataDirectory: summary.targetDirectory, owner: summary.owner,
            binDirectory: try PostgresStarter.binDirectory(requested: pgBin, majorVersion: plan.backup.serverVersion / 10000),
            log: log)
        let recoveryClock = Stopwatch()
        say("starting PostgreSQL (log: \(starter.logFile))")
        try starter.start()
        let outcome = try starter.waitForTarget(action: options.action ?? RecoveryAction.defaultAction(for: request.target),
                                                standbyFollowing: options.standby && request.target == .latest)
        say("recovery: \(outcome.rawValue) after \(Stopwatch.text(recoveryClock.seconds))")
        say("phases: plan \(Stopwatch.text(planSeconds)), download+extract \(Stopwatch.text(summary.seconds)), recovery to target \(Stopwatch.text(recoveryClock.seconds))")
    }
}
