import Foundation

/// A PostgreSQL cluster (15 unless told otherwise) inside a sandbox, run as `postgres`, reachable only through a Unix socket in the sandbox.
/// Released while still running, it is stopped with `-m immediate` (a failed test must not leave a server behind).
final class PostgresCluster {
    let sandbox: Sandbox
    let dataDirectory: String
    let port: Int
    let walSegmentSizeMB: Int
    /// The major whose programs (`PostgreSQL.tool(_:major:)`) run this cluster.
    let major: Int
    private let logFile: String
    private(set) var isRunning = false

    private init(sandbox: Sandbox, name: String, walSegmentSizeMB: Int, major: Int) throws {
        self.sandbox = sandbox
        self.major = major
        self.dataDirectory = sandbox.path(name)
        self.logFile = sandbox.path(name + ".log")
        self.walSegmentSizeMB = walSegmentSizeMB
        self.port = try sandbox.freePort()
    }

    deinit {
        if isRunning { _ = try? pgCtl(["stop", "-m", "immediate"]) }
    }

    /// `initdb` a new cluster (trust authentication, C locale, optional `--wal-segsize`) of `major` listening on a
    /// free port. `checksums` nil keeps that major's default (off before 18, on from 18).
    static func initialize(in sandbox: Sandbox, name: String, walSegmentSizeMB: Int = 16, major: Int = PostgreSQL.defaultMajor,
                           checksums: Bool? = nil) throws -> PostgresCluster {
        let cluster = try PostgresCluster(sandbox: sandbox, name: name, walSegmentSizeMB: walSegmentSizeMB, major: major)
        let checksumFlag = checksums.map { $0 ? ["--data-checksums"] : ["--no-data-checksums"] } ?? []
        try Command.runAsPostgres(try PostgreSQL.tool("initdb", major: major), [
            "-D", cluster.dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
            "--wal-segsize=\(walSegmentSizeMB)",
        ] + checksumFlag).check()
        try cluster.configure(cluster.connectionSettings + [
            ("fsync", "off"),  // the tests never crash the host; tailtown-pitr still syncs what it writes
            ("shared_buffers", "64MB"),
        ])
        return cluster
    }

    /// A cluster over the data directory `name` a test wrote into `sandbox` (an extracted backup, owned by postgres),
    /// listening on a free port; nothing else of its postgresql.conf changes.
    static func existing(in sandbox: Sandbox, name: String, walSegmentSizeMB: Int = 16, major: Int = PostgreSQL.defaultMajor) throws -> PostgresCluster {
        let cluster = try PostgresCluster(sandbox: sandbox, name: name, walSegmentSizeMB: walSegmentSizeMB, major: major)
        try cluster.configure(cluster.connectionSettings)
        return cluster
    }

    /// A new cluster made by `pg_basebackup -X none` from `primary`: it has no WAL of its own, so
    /// everything it replays must come through its restore_command.
    static func baseBackup(of primary: PostgresCluster, name: String) throws -> PostgresCluster {
        let cluster = try PostgresCluster(sandbox: primary.sandbox, name: name, walSegmentSizeMB: primary.walSegmentSizeMB,
                                          major: primary.major)
        try Command.runAsPostgres(try primary.tool("pg_basebackup"), [
            "-D", cluster.dataDirectory, "-X", "none", "-c", "fast", "-U", "postgres",
            "-h", primary.sandbox.root, "-p", String(primary.port),
        ], timeout: 300).check()
        try cluster.configure(cluster.connectionSettings)
        return cluster
    }

    private var connectionSettings: [(String, String)] {
        [("port", String(port)), ("listen_addresses", ""), ("unix_socket_directories", sandbox.root)]
    }

    /// The libpq connection string for database postgres as user postgres.
    var conninfo: String { "host=\(sandbox.root) port=\(port) user=postgres dbname=postgres" }

    /// Appends settings to postgresql.conf (later lines win); values are quoted for the file.
    func configure(_ settings: [(String, String)]) throws {
        let lines = settings.map { "\($0.0) = '\($0.1.replacingOccurrences(of: "'", with: "''"))'\n" }.joined()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines.utf8))
    }

    /// Creates recovery.signal: at the next start the cluster recovers from its restore_command.
    func requestRecovery() throws {
        try Data().write(to: URL(fileURLWithPath: dataDirectory + "/recovery.signal"))
        try Sandbox.giveToPostgres(dataDirectory + "/recovery.signal", mode: 0o600)
    }

    func start() throws {
        let result = try pgCtl(["start", "-t", "120", "-l", logFile])
        guard result.status == 0 else {
            throw HarnessError.commandFailed(command: result.command, status: result.status, output: result.stderr + logTail())
        }
        isRunning = true
    }

    func stop() throws {
        try pgCtl(["stop", "-m", "fast"]).check()
        isRunning = false
    }

    /// Whether the postmaster is alive (a failed recovery shuts it down).
    var postmasterIsAlive: Bool {
        ((try? pgCtl(["status"]))?.status ?? 1) == 0
    }

    /// Runs `sql` in database postgres and returns the unaligned, tuples-only output, trimmed.
    func query(_ sql: String) throws -> String {
        let output = try Command.runAsPostgres(try tool("psql"), [
            "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", sandbox.root, "-p", String(port), "-U", "postgres",
            "-d", "postgres", "-c", sql,
        ]).check()
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Returns once the server's clock reads a later whole second than when called, so that what comes next is stamped in
    /// a later second than all that came before (a backup's stop time has whole seconds).
    func waitForTheNextSecond() throws {
        let second = "floor(extract(epoch from clock_timestamp()))::bigint"
        let now = try query("select \(second)")
        try waitUntil("the server's clock to pass second \(now)", seconds: 10) { try query("select \(second) > \(now)") == "t" }
    }

    func pgbench(_ arguments: [String]) throws {
        try Command.runAsPostgres(try tool("pgbench"),
                                  ["-h", sandbox.root, "-p", String(port), "-U", "postgres"] + arguments + ["postgres"],
                                  timeout: 600).check()
    }

    /// The last lines of the server log, for failure messages.
    func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "(no server log at \(logFile))"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// The path of `name` in this cluster's major's bin folder.
    func tool(_ name: String) throws -> String {
        try PostgreSQL.tool(name, major: major)
    }

    @discardableResult
    private func pgCtl(_ arguments: [String]) throws -> CommandResult {
        try Command.runAsPostgres(try tool("pg_ctl"), ["-D", dataDirectory, "-w"] + arguments, timeout: 180)
    }
}

/// Where each major's programs live. scripts/postgresql-bin.sh decides (the one place the tests and benchmarks
/// look it up): `TAILTOWN_PG_BIN_<major>`, else Debian's folder, else the build `make deps` unpacked.
enum PostgreSQL {
    /// The major of every test that does not name one: Debian 12's own.
    static let defaultMajor = 15
    /// The majors every end-to-end proof runs on.
    static let supportedMajors = [15, 16, 17, 18]

    private static let folders = BinFolders()

    static func binDirectory(major: Int) throws -> String {
        try folders.binDirectory(major)
    }

    static func tool(_ name: String, major: Int = defaultMajor) throws -> String {
        let path = try binDirectory(major: major) + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else { throw HarnessError.missingPostgreSQL("\(name) of PostgreSQL \(major) at \(path)") }
        return path
    }

    /// `postgresql-bin.sh MAJOR`'s answer, asked once per major; its error line names the major and the fix.
    private final class BinFolders: @unchecked Sendable {
        private let lock = NSLock()
        private var known: [Int: Result<String, Error>] = [:]

        func binDirectory(_ major: Int) throws -> String {
            lock.lock()
            defer { lock.unlock() }
            if let answer = known[major] { return try answer.get() }
            let answer = Result<String, Error> {
                let script = Sandbox.packageRoot + "/scripts/postgresql-bin.sh"
                let result = try Command.run(script, [String(major)], timeout: 30)
                guard result.status == 0 else { throw HarnessError.missingPostgreSQL(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) }
                return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            known[major] = answer
            return try answer.get()
        }
    }
}
