import Foundation

/// A PostgreSQL 15 cluster inside a sandbox, run as `postgres`, reachable only through a Unix socket in the sandbox.
/// Released while still running, it is stopped with `-m immediate` (a failed test must not leave a server behind).
final class PostgresCluster {
    let sandbox: Sandbox
    let dataDirectory: String
    let port: Int
    let walSegmentSizeMB: Int
    private let logFile: String
    private(set) var isRunning = false

    private init(sandbox: Sandbox, name: String, walSegmentSizeMB: Int) throws {
        self.sandbox = sandbox
        self.dataDirectory = sandbox.path(name)
        self.logFile = sandbox.path(name + ".log")
        self.walSegmentSizeMB = walSegmentSizeMB
        self.port = try sandbox.freePort()
    }

    deinit {
        if isRunning { _ = try? pgCtl(["stop", "-m", "immediate"]) }
    }

    /// `initdb` a new cluster (trust authentication, C locale, optional `--wal-segsize`) listening on a free port.
    static func initialize(in sandbox: Sandbox, name: String, walSegmentSizeMB: Int = 16) throws -> PostgresCluster {
        let cluster = try PostgresCluster(sandbox: sandbox, name: name, walSegmentSizeMB: walSegmentSizeMB)
        try Command.runAsPostgres(try PostgreSQL.tool("initdb"), [
            "-D", cluster.dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
            "--wal-segsize=\(walSegmentSizeMB)",
        ]).check()
        try cluster.configure(cluster.connectionSettings + [
            ("fsync", "off"),  // the tests never crash the host; tailtown-pitr still syncs what it writes
            ("shared_buffers", "64MB"),
        ])
        return cluster
    }

    /// A new cluster made by `pg_basebackup -X none` from `primary`: it has no WAL of its own, so
    /// everything it replays must come through its restore_command.
    static func baseBackup(of primary: PostgresCluster, name: String) throws -> PostgresCluster {
        let cluster = try PostgresCluster(sandbox: primary.sandbox, name: name, walSegmentSizeMB: primary.walSegmentSizeMB)
        try Command.runAsPostgres(try PostgreSQL.tool("pg_basebackup"), [
            "-D", cluster.dataDirectory, "-X", "none", "-c", "fast", "-U", "postgres",
            "-h", primary.sandbox.root, "-p", String(primary.port),
        ], timeout: 300).check()
        try cluster.configure(cluster.connectionSettings)
        return cluster
    }

    private var connectionSettings: [(String, String)] {
        [("port", String(port)), ("listen_addresses", ""), ("unix_socket_directories", sandbox.root)]
    }

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
        let output = try Command.runAsPostgres(try PostgreSQL.tool("psql"), [
            "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", sandbox.root, "-p", String(port), "-U", "postgres",
            "-d", "postgres", "-c", sql,
        ]).check()
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func pgbench(_ arguments: [String]) throws {
        try Command.runAsPostgres(try PostgreSQL.tool("pgbench"),
                                  ["-h", sandbox.root, "-p", String(port), "-U", "postgres"] + arguments + ["postgres"],
                                  timeout: 600).check()
    }

    /// The last lines of the server log, for failure messages.
    func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "(no server log at \(logFile))"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    @discardableResult
    private func pgCtl(_ arguments: [String]) throws -> CommandResult {
        try Command.runAsPostgres(try PostgreSQL.tool("pg_ctl"), ["-D", dataDirectory, "-w"] + arguments, timeout: 180)
    }
}

/// Where the PostgreSQL 15 programs live: `/usr/lib/postgresql/15/bin` on Debian, else `pg_config --bindir`.
enum PostgreSQL {
    static let majorVersion = 15

    static func tool(_ name: String) throws -> String {
        let debian = "/usr/lib/postgresql/\(majorVersion)/bin/\(name)"
        if FileManager.default.isExecutableFile(atPath: debian) { return debian }
        if let bindir = try? Command.runAsPostgres("/usr/bin/pg_config", ["--bindir"]).check() {
            let path = bindir.trimmingCharacters(in: .whitespacesAndNewlines) + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw HarnessError.missingPostgreSQL(name)
    }
}
