import ArgumentParser
import PITRDump
import PITRSupport

struct DumpPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-push",
        abstract: "Store a logical dump of each database (pg_dump -Fc) and of the roles and tablespaces (pg_dumpall --globals-only).",
        discussion: """
            Connects like psql (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ~/.pgpass, or --dbname), runs the \
            server major's pg_dump and pg_dumpall, and streams each one's output through compression and encryption \
            into dumps/<name>/, its descriptor written last: a listed dump is complete. A database whose dump fails \
            is not listed, and the command exits 1 naming it.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: [.customShort("d"), .long], help: ArgumentHelp("A libpq connection string or URI (default: the PG* environment).", valueName: "conninfo"))
    var dbname: String = ""

    @Option(help: ArgumentHelp("A database to dump (repeatable; default: every database that allows connections, templates left out).", valueName: "name"))
    var database: [String] = []

    @Flag(help: "Keep the roles' password hashes in the globals (by default pg_dumpall --no-role-passwords).")
    var withRolePasswords = false

    @Option(help: ArgumentHelp("The folder of pg_dump and pg_dumpall (default: those of the server's major).", valueName: "dir"))
    var pgBin: String?

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let (repository, mirrored) = try invocation.writingRepository()
            defer { invocation.reportSecond(mirrored) }
            let push = DumpPush(repository: repository, options: try invocation.objectOptions(key: repository.key), log: invocation.log)
            var request = DumpPushRequest()
            request.conninfo = dbname
            request.databases = database
            request.withRolePasswords = withRolePasswords
            request.programFolder = pgBin
            let started = UTCTime.now()
            let run = try push.run(request)
            let seconds = max(1, UTCTime.now().secondsSinceEpoch - started.secondsSinceEpoch)
            print("dump \(run.name): \(run.databases.count) databases and the globals, \(String(byteCount: run.rawBytes)) raw, "
                  + "\(String(byteCount: run.storedBytes)) stored in \(seconds) s")
        }
    }
}
