import ArgumentParser
import PITR

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Alarm for cron and monitoring: exit 1 with one line per problem when backups or WAL are too old.",
        discussion: """
            Connects like psql (PG* environment, or --dbname) to read pg_stat_archiver and pg_current_wal_lsn(), \
            so an idle cluster that finishes no segment raises no alarm; without a connection the WAL age alone \
            decides. On failure, posts {"text": ...} to TAILTOWN_NOTIFY_URL when set.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Newest backup older than this is a problem: 26h, 90m, 2d or seconds.", valueName: "age"))
    var maxBackupAge: String = "26h"

    @Option(help: ArgumentHelp("Newest archived WAL older than this is a problem (the RPO).", valueName: "age"))
    var maxWalAge: String = "1h"

    @Option(name: [.customShort("d"), .long], help: ArgumentHelp("A libpq connection string or URI (default: the PG* environment).", valueName: "conninfo"))
    var dbname: String = ""

    @Flag(help: "Do not connect to the server: judge by the repository alone.")
    var noConnect = false

    @Option(help: ArgumentHelp("Write node_exporter textfile metrics to this file (atomically).", valueName: "file"))
    var prometheus: String?

    func run() throws {
        guard let backupAge = AgeLimit.seconds(maxBackupAge) else { throw ValidationError("--max-backup-age '\(maxBackupAge)' is not an age such as 26h") }
        guard let walAge = AgeLimit.seconds(maxWalAge) else { throw ValidationError("--max-wal-age '\(maxWalAge)' is not an age such as 1h") }
        let invocation = try Invocation(global)
        let problems: [String] = try invocation.run {
            let repository = try invocation.repository()
            try repository.checkExists()
            var server: ServerArchiveState?
            if !noConnect {
                do {
                    let connection = try PostgresConnection(conninfo: dbname)
                    defer { connection.close() }
                    server = try ServerArchiveState.read(from: connection)
                } catch let error as PITRError {
                    invocation.log.warning("\(error.description); judging by the repository alone (--no-connect skips this)")
                }
            }
            let status = try RepositoryStatus.gather(inventory: try RepositoryInventory.load(repository: repository),
                                                     policy: try invocation.settings.retentionPolicy(), now: UTCTime.now(),
                                                     archive: server?.identity)
            let problems = HealthCheck(maxBackupAge: backupAge, maxWALAge: walAge).problems(status, server: server)
            if let prometheus {
                try ReportFile.write(PrometheusText.render(status, problems: problems), to: prometheus)
            }
            if !problems.isEmpty, let url = try invocation.settings.notifyURL() {
                do {
                    try AlertNotifier(url: url).send(AlertNotifier.text(repository: repository.storage.describe(""), problems: problems))
                } catch let error as PITRError {
                    invocation.log.error(error.description)
                }
            }
            return problems
        }
        for problem in problems { print("problem: \(problem)") }
        if problems.isEmpty { print("ok") } else { throw ExitCode(1) }
    }
}
