import PITRSupport

/// Why a dump command failed; each message names the dump, database, program or object and what to do.
public enum DumpError: PITRError, Equatable {
    case cannotConnect(message: String)
    case refused(message: String)
    case noSuchDatabase(String)
    case programNotFound(program: String, major: Int)
    case cannotStart(program: String, detail: String)
    case programFailed(command: String, database: String, status: Int32)
    case nameTaken(object: String)
    case unreadableDescriptor(object: String, reason: String)
    case digestMismatch(dump: String, archive: String, expected: String, actual: String)
    case noSuchDump(String)
    case noSuchDumpDatabase(dump: String, database: String, present: [String])
    case databaseNeeded(dump: String, present: [String])
    case failedDatabases([String])
    case listRefused(dump: String, archive: String, status: Int32, output: String)
    /// Objects of the dump lie in an archive storage class (GLACIER, DEEP_ARCHIVE) and are not readable yet.
    case archived(dump: String, progress: String, thawRequested: Bool)

    public var description: String {
        switch self {
        case .cannotConnect(let message):
            "cannot connect to PostgreSQL: \(message) (hint: dump-push connects like psql: PGHOST, PGPORT, PGUSER, ~/.pgpass, or --dbname)"
        case .refused(let message):
            "PostgreSQL refused: \(message)"
        case .noSuchDatabase(let name):
            "database '\(name)' does not exist or does not allow connections; nothing was dumped"
        case .programNotFound(let program, let major):
            "\(program) of PostgreSQL \(major) not found (in /usr/lib/postgresql/\(major)/bin, pg_config --bindir or PATH): "
                + "install it (apt install postgresql-client-\(major)) or give its folder with --pg-bin DIR"
        case .cannotStart(let program, let detail):
            "cannot start \(program): \(detail)"
        case .programFailed(let command, let database, let status):
            "\(command) of \(database) failed (exit status \(status), its message above): nothing of it is listed"
        case .nameTaken(let object):
            "dump object \(object) already exists: another dump-push started in the same second; retry"
        case .unreadableDescriptor(let object, let reason):
            "dump descriptor \(object) is unreadable: \(reason)"
        case .digestMismatch(let dump, let archive, let expected, let actual):
            "dump \(dump) \(archive) does not match its descriptor: SHA-256 \(actual), recorded \(expected); do not use what was written"
        case .noSuchDump(let name):
            "no dump named \(name) in the repository (dump-list lists them)"
        case .noSuchDumpDatabase(let dump, let database, let present):
            "dump \(dump) holds no dump of database '\(database)'; it holds: \(present.joined(separator: ", "))"
        case .databaseNeeded(let dump, let present):
            "dump \(dump) holds several databases: choose one with --database (\(present.joined(separator: ", ")))"
        case .failedDatabases(let names):
            "the dump of \(names.joined(separator: ", ")) failed (see above); the others are stored and listed"
        case .listRefused(let dump, let archive, let status, let output):
            "pg_restore --list refused dump \(dump) \(archive) (exit status \(status)): \(output)"
        case .archived(let dump, let progress, let thawRequested):
            "dump \(dump) lies in an archive storage class, \(progress): "
                + (thawRequested ? "run the same dump-fetch again once thawed" : "add --thaw expedited|standard|bulk (and --thaw-days N) to request the thaw, then run it again once thawed")
                + " (docs/recovery.md, \"Restoring from archived backups\")"
        }
    }
}
