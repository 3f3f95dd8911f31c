import PITRConfig
import PITRRepository
import PITRSupport

/// The one path from a restore request to a server recovering on the restored directory, shared by `restore`
/// (`RestoreRun`) and the restore drill (`RestoreDrill`): plan, lay out the data directory (staging the plan's WAL
/// on every core, each thread with a connection from `openRepository`), and the starter for the backup's major.
public struct RestoreProcedure {
    public let repository: Repository
    public let settings: Settings
    public let log: Log
    /// Opens the staging threads' connections (`RestoreExecutor.openRepository`); nil stages on one thread.
    public var openRepository: RepositoryOpener?
    /// PostgreSQL's bin folder; nil for the backup's major's Debian folder, else pg_config's.
    public var pgBin: String?

    public init(repository: Repository, settings: Settings, log: Log) {
        self.repository = repository
        self.settings = settings
        self.log = log
    }

    /// `archivedReadable`: what the plan reads from archive storage classes is thawed (`RestorePlanner.archivedReadable`).
    public func plan(_ request: RestoreRequest, archivedReadable: Bool = false) throws -> RestorePlan {
        var planner = RestorePlanner(repository: repository, log: log)
        planner.archivedReadable = archivedReadable
        return try planner.plan(request)
    }

    /// Writes the data directory `options` name; `onProgress` gets a line per phase.
    public func execute(_ plan: RestorePlan, _ options: RestoreOptions, onProgress: @escaping (String) -> Void) throws -> RestoreSummary {
        let executor = RestoreExecutor(repository: repository, settings: settings, log: log)
        executor.onProgress = onProgress
        executor.openRepository = openRepository
        return try executor.execute(plan, options)
    }

    /// The starter of the restored directory, with the programs of the backup's major.
    public func starter(for plan: RestorePlan, _ summary: RestoreSummary) throws -> PostgresStarter {
        PostgresStarter(dataDirectory: summary.targetDirectory, owner: summary.owner,
                        binDirectory: try PostgresStarter.binDirectory(requested: pgBin, majorVersion: plan.backup.identity.majorVersion),
                        log: log)
    }
}
