import ArgumentParser
import PITRRepository
import PITRMonitoring
import PITRSupport
import PITRVerify
import PITRWAL


struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the repository without restoring: WAL chains, history files, every object; exit 0 only if all is well.",
        discussion: """
            Every backup needs its WAL from start to stop; the backups that anchor the recoverable window \
            (kept as daily by TAILTOWN_RETAIN, and the newest) need every segment up to the newest one, on \
            every timeline branching off them. Gaps are named with the time range they cut out. Every object's \
            header and trailer are checked; --deep decrypts and authenticates every object end to end. \
            The outcome is recorded in the repository for check and status. \
            --restore-test runs the restore drill instead: the newest backup (or --to a time) restored into a \
            scratch directory with archiving off and no promotion, a private server on a Unix socket, the \
            --check-sql queries, then cleanup; each phase is timed (the measured RTO). \
            --window proves instead that every point of the promised window (from the oldest backup kept as \
            daily, or the newest, to the newest archived WAL) can be restored: a backup for each stretch, an \
            unbroken WAL chain along the timelines, every segment decoded with its record CRCs and page addresses \
            checked. It reports the proven window and each unprovable stretch with its cause and first object, and \
            remembers what it proved in the repository: a later run reads only new or changed segments.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Decode every object: decrypt, decompress and compare its digest (reads the whole repository).")
    var deep = false

    @OptionGroup var thawing: ThawOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Run the restore drill instead: restore, start privately, run --check-sql, stop, clean up.")
    var restoreTest = false

    @Flag(help: "Prove instead that every point of the promised window can be restored (decodes new or changed segments).")
    var window = false

    @Option(help: ArgumentHelp("With --restore-test: recover to this time (with a zone) and pause there, instead of the end of the archive.", valueName: "time"))
    var to: String?

    @Flag(help: "With --restore-test: recover to a random moment inside the recoverable window (see status), and pause there.")
    var randomTarget = false

    @Flag(help: "With --restore-test: load the newest dump of --check-db into a new cluster of its major instead of restoring a backup.")
    var fromDump = false

    @Option(help: ArgumentHelp("With --restore-test: 'SQL => OP VALUE' (OP: = != > >= < <=), or SQL whose first value must be true (repeatable).", valueName: "check"))
    var checkSql: [String] = []

    @Option(help: ArgumentHelp("With --restore-test: the database the checks run in.", valueName: "name"))
    var checkDb: String = "postgres"

    @Option(help: ArgumentHelp("With --restore-test: where the scratch directory is made (it needs room for the backup).", valueName: "dir"))
    var scratchDir: String = "/var/tmp"

    @Option(help: ArgumentHelp("With --restore-test: PostgreSQL's bin folder (default: of the backup's version, else pg_config --bindir).", valueName: "dir"))
    var pgBin: String?

    func validate() throws {
        if !restoreTest, to != nil || randomTarget || !checkSql.isEmpty || pgBin != nil || fromDump {
            throw ValidationError("--to, --random-target, --from-dump, --check-sql and --pg-bin go with --restore-test")
        }
        if fromDump, to != nil || randomTarget { throw ValidationError("--from-dump loads the newest dump: it takes no --to or --random-target") }
        if to != nil, randomTarget { throw ValidationError("--to and --random-target are two targets: give one") }
        if restoreTest, deep || json || window { throw ValidationError("--restore-test does not take --deep, --json or --window") }
        if thawing.tier != nil, window || fromDump {
            throw ValidationError("--thaw goes with verify, verify --deep (a later run reads what it thawed) and verify --restore-test (it drills the thawed backup)")
        }
        if window, deep { throw ValidationError("--window decodes every segment it has not proven before: it does not take --deep") }
    }

    func run() throws {
        let invocation = try Invocation(global)
        if restoreTest { return try drill(invocation) }
        if window { return try proveWindow(invocation) }
        let report = try invocation.run {
            var verifier = try RepositoryVerifier(repository: try invocation.repository(), openRepository: invocation.repository,
                                                  policy: try invocation.settings.retentionPolicy(), deep: deep, log: invocation.log)
            verifier.thaw = thawing.tier.map { ($0, thawing.thawDays) }
            verifier.dumpPolicy = try invocation.settings.dumpRetentionPolicy()
            return verifier.run()
        }
        if !json { print(report.text, terminator: "") }
        let second = try invocation.run({ try invocation.openSecondRepository() }).map { try verifySecond($0, invocation) }
        if json {
            print(second.map { $0.json(first: report) } ?? report.json, terminator: "")
        } else if let second {
            print(second.text, terminator: "")
        }
        if !report.isSound || second?.report.isSound == false { throw ExitCode(1) }
    }

    /// With TAILTOWN_REPO2: the second verified as the first is, and the difference between them.
    private func verifySecond(_ second: Repository, _ invocation: Invocation) throws -> SecondVerification {
        let opener = { () throws -> Repository in try invocation.openSecondRepository() ?? second }
        return try invocation.run {
            var verifier = try RepositoryVerifier(repository: second, openRepository: opener, policy: try invocation.settings.retentionPolicy(),
                                                  deep: deep, log: invocation.log)
            verifier.dumpPolicy = try invocation.settings.dumpRetentionPolicy()
            let report = verifier.run()
            let first = try invocation.repository()
            return SecondVerification(repository: second.name, report: report, secondLacks: try SecondRepository(first: first, second: second).lag(),
                                      firstLacks: try SecondRepository(first: second, second: first).lag())
        }
    }

    private func proveWindow(_ invocation: Invocation) throws {
        let report = try invocation.run {
            try WindowVerifier(repository: try invocation.repository(), policy: try invocation.settings.retentionPolicy(),
                               log: invocation.log).run()
        }
        print(json ? report.json : report.text, terminator: "")
        if !report.isSound { throw ExitCode(1) }
    }

    private func drill(_ invocation: Invocation) throws {
        let report = try invocation.run {
            // Each object is warned of once as it is met; the sum at the end, as restore does.
            defer { invocation.log.warnDeleteMarkerSummary() }
            let started = UTCTime.now()
            let repository = try invocation.repository()
            var drill = RestoreDrill(procedure: try invocation.restoreProcedure(pgBin: pgBin),
                                     executable: ProcessPaths.executable() ?? CommandLine.arguments[0])
            drill.target = try to.map { .time(try PostgresTimestamp(parsing: $0)) }
            if randomTarget {
                let target = try RandomDrillTarget.pick(repository: repository, policy: try invocation.settings.retentionPolicy())
                print("random target: \(target)")
                drill.target = .time(target)
            }
            drill.fromDump = fromDump
            drill.thaw = thawing.tier.map { ($0, thawing.thawDays) }
            drill.checks = try checkSql.map(DrillCheck.init(parsing:))
            drill.database = checkDb
            drill.scratchParent = ProcessPaths.absolute(scratchDir)
            let report = drill.run()
            try DrillRecord(report, time: started).save(in: repository)
            return report
        }
        print(report.text, terminator: "")
        if !report.passed { throw ExitCode(1) }
    }
}
