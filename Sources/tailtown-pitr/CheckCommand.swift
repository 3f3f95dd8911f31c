import ArgumentParser
import PITRMonitoring


struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Alarm for cron and monitoring: exit 1 with one line per problem when backups, WAL or dumps are too old.",
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

    @Option(help: ArgumentHelp("The last restore drill slower than this (or failed) is a problem: 2h, 30m or seconds.", valueName: "duration"))
    var maxRto: String?

    @Option(help: ArgumentHelp("No restore drill within this age is a problem (e.g. 35d).", valueName: "age"))
    var maxDrillAge: String?

    @Option(help: ArgumentHelp("Newest dump run (dump-push) older than this, or none, is a problem (e.g. 26h); unset: dumps are not checked.", valueName: "age"))
    var maxDumpAge: String?

    @Option(help: ArgumentHelp("The second repository (TAILTOWN_REPO2) lacking an object stored longer ago than this, or unreadable, is a problem (e.g. 15m); unset: not checked.", valueName: "age"))
    var maxCopyLag: String?

    @Flag(help: "Do not connect to the server: judge by the repository alone.")
    var noConnect = false

    @Option(help: ArgumentHelp("Write node_exporter textfile metrics to this file (atomically).", valueName: "file"))
    var prometheus: String?

    func run() throws {
        guard let backupAge = AgeLimit.seconds(maxBackupAge) else { throw ValidationError("--max-backup-age '\(maxBackupAge)' is not an age such as 26h") }
        guard let walAge = AgeLimit.seconds(maxWalAge) else { throw ValidationError("--max-wal-age '\(maxWalAge)' is not an age such as 1h") }
        var check = HealthCheck(maxBackupAge: backupAge, maxWALAge: walAge)
        if let maxRto {
            guard let seconds = AgeLimit.seconds(maxRto) else { throw ValidationError("--max-rto '\(maxRto)' is not a duration such as 2h") }
            check.maxRTO = seconds
        }
        if let maxDrillAge {
            guard let seconds = AgeLimit.seconds(maxDrillAge) else { throw ValidationError("--max-drill-age '\(maxDrillAge)' is not an age such as 35d") }
            check.maxDrillAge = seconds
        }
        if let maxDumpAge {
            guard let seconds = AgeLimit.seconds(maxDumpAge) else { throw ValidationError("--max-dump-age '\(maxDumpAge)' is not an age such as 26h") }
            check.maxDumpAge = seconds
        }
        if let maxCopyLag {
            guard let seconds = AgeLimit.seconds(maxCopyLag) else { throw ValidationError("--max-copy-lag '\(maxCopyLag)' is not an age such as 15m") }
            check.maxCopyLag = seconds
        }
        let invocation = try Invocation(global)
        let problems = try invocation.run {
            let repository = try invocation.repository()
            let second = try invocation.secondRepository(first: repository)
            // An alarm that checks nothing would pass for ever: without a copy to watch, --max-copy-lag is a mistake.
            if let maxCopyLag, second == nil {
                throw ValidationError("--max-copy-lag \(maxCopyLag): TAILTOWN_REPO2 is not set, so there is no second repository whose copy could lag")
            }
            return try check.run(
                repository: repository, policy: try invocation.settings.retentionPolicy(), dumpPolicy: try invocation.settings.dumpRetentionPolicy(),
                conninfo: noConnect ? nil : dbname, prometheusFile: prometheus, notifyURL: try invocation.settings.notifyURL(),
                log: invocation.log, copyLag: try second?.lag())
        }
        for problem in problems { print("problem: \(problem)") }
        if problems.isEmpty { print("ok") } else { throw ExitCode(1) }
    }
}
