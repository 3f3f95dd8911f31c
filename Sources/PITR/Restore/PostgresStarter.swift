import PITRNative
import PITRSupport
import PITRWAL

/// `restore --start`: starts PostgreSQL on the restored directory with pg_ctl, as the directory's
/// owner, and waits until recovery reached its target: paused (`pg_get_wal_replay_pause_state()`),
/// promoted (no longer in recovery), shut down (the postmaster exited after recovery), or, for a
/// standby following the archive, open for reads. Watches over the Unix socket with our libpq wrapper.
public struct PostgresStarter {
    /// How recovery ended.
    public enum Outcome: String, Sendable {
        case paused = "paused at the target (read-only)"
        case promoted = "promoted (open for writes)"
        case shutDown = "shut down at the target"
        case following = "running as a standby following the archive"
    }

    public let dataDirectory: String
    public let owner: FileOwner
    public let binDirectory: String
    private let log: Log
    /// Where pg_ctl's minimal environment comes from (`ChildProcess.minimalEnvironment`).
    public var environment: [String: String] = ProcessEnvironment.current()

    public init(dataDirectory: String, owner: FileOwner, binDirectory: String, log: Log) {
        self.dataDirectory = dataDirectory
        self.owner = owner
        self.binDirectory = binDirectory
        self.log = log
    }

    /// How long to wait for a postmaster that never wrote postmaster.pid.
    static let startupSeconds = 20.0

    /// The server log pg_ctl writes: beside the data directory, not inside it.
    public var logFile: String { dataDirectory + ".postgresql.log" }

    /// `--pg-bin`, else the folder of pg_ctl of the backup's major (`PostgreSQLPrograms`).
    public static func binDirectory(requested: String?, majorVersion: Int) throws -> String {
        guard let folder = PostgreSQLPrograms.folder(holding: "pg_ctl", major: majorVersion, requested: requested) else {
            throw RestoreError.postgresNotFound(path: "/usr/lib/postgresql/\(majorVersion)/bin/pg_ctl")
        }
        return folder
    }

    /// Refuses a directory whose restore did not finish, then runs `pg_ctl start` without waiting.
    public func start() throws {
        if RestoreMarker.isPresent(in: dataDirectory) { throw RestoreError.interrupted(directory: dataDirectory) }
        let pgCtl = binDirectory + "/pg_ctl"
        guard access(pgCtl, X_OK) == 0 else { throw RestoreError.postgresNotFound(path: pgCtl) }
        // Made by descriptor beside the data directory; one already there is the owner's to open
        // (pg_ctl opens it as the owner), so a symlink there leads nowhere the owner could not write.
        let folder = try OpenDirectory.open(FileSystem.dirname(of: logFile))
        if folder.status(FileSystem.basename(of: logFile)) == nil {
            let file = try folder.createFile(FileSystem.basename(of: logFile), mode: 0o600)
            try owner.take(file)
        }
        let command = ChildProcess(executable: pgCtl, arguments: ["-D", dataDirectory, "-l", logFile, "-W", "start"],
                                   user: owner, directory: dataDirectory, environment: environment)
        let result = try command.run()
        guard result.status == 0 else {
            throw RestoreError.cannotStart(command: command.shown, detail: "exit \(result.status): " + result.output.split(separator: "\n").joined(separator: "; "))
        }
    }

    /// `pg_ctl stop -m immediate`, waiting: for a throw-away server (the restore drill), whose
    /// data is never used again. A failure is returned as pg_ctl's output, nil on success.
    public func stopImmediately() -> String? {
        let stop = ChildProcess(executable: binDirectory + "/pg_ctl", arguments: ["-D", dataDirectory, "-m", "immediate", "-w", "stop"],
                                user: owner, directory: dataDirectory, environment: environment)
        guard let result = try? stop.run() else { return "cannot run \(stop.shown)" }
        return result.status == 0 ? nil : result.output
    }

    /// Polls until recovery ended as `action` says (or, for a standby following the archive, it
    /// accepts connections). Throws `recoveryFailed` with the log tail when the server stops otherwise.
    public func waitForTarget(action: RecoveryAction, standbyFollowing: Bool) throws -> Outcome {
        let clock = Stopwatch()
        var connection: PostgresConnection?
        var seenRunning = false
        while true {
            if let status = ServerStatus.read(dataDirectory, owner: owner), kill(status.pid, 0) == 0 {
                seenRunning = true
                if status.acceptsConnections {
                    do {
                        if let outcome = try poll(&connection, status, standbyFollowing: standbyFollowing) { return outcome }
                    } catch {
                        // Refused while starting up, or cut off at promotion: look again at the next round.
                        log.debug("waiting for recovery in \(dataDirectory): \(error)")
                    }
                }
            } else {
                connection = nil
                let state = ServerStatus.controlState(dataDirectory, owner: owner)
                // `pause` becomes a shutdown when hot_standby is off.
                if state == ServerStatus.shutDownInRecovery || state == ServerStatus.shutDown, action != .promote {
                    return .shutDown
                }
                if seenRunning || state == ServerStatus.inArchiveRecovery || clock.seconds >= Self.startupSeconds {
                    throw RestoreError.recoveryFailed(directory: dataDirectory, logFile: logFile,
                                                      lastLines: logTail(lines: 3).split(separator: "\n").joined(separator: " | "))
                }
            }
            usleep(250_000)
        }
    }

    /// One look over the socket; nil while recovery goes on.
    private func poll(_ connection: inout PostgresConnection?, _ status: ServerStatus, standbyFollowing: Bool) throws -> Outcome? {
        if connection == nil { connection = try connect(status, database: "postgres") }
        guard let server = connection else { return nil }
        // The recovery control functions raise an error once recovery has ended.
        let rows: PostgresRows
        do {
            rows = try server.query("select pg_is_in_recovery()::text as recovering, case when pg_is_in_recovery() then pg_get_wal_replay_pause_state() end as pause")
        } catch {
            connection = nil
            throw error
        }
        if rows.value("recovering") == "false" { return .promoted }
        if rows.value("pause") == "paused" { return .paused }
        return standbyFollowing ? .following : nil
    }

    /// A connection as the owner over the server's socket to `database`.
    func connect(_ status: ServerStatus, database: String) throws -> PostgresConnection {
        // A conninfo value in quotes escapes its backslashes and quotes.
        let name = String(database.flatMap { $0 == "\\" || $0 == "'" ? ["\\", $0] : [$0] })
        let conninfo = "host='\(status.socketDirectory)' port=\(status.port) user='\(owner.name)' dbname='\(name)' connect_timeout=5"
        return try asOwner { try PostgresConnection(conninfo: conninfo) }
    }

    /// Runs `body` with the owner's effective user and group, so peer authentication over the
    /// socket knows this process as the owner (the socket keeps the identity it connected with).
    private func asOwner<T>(_ body: () throws -> T) throws -> T {
        guard owner.needsHandOver else { return try body() }
        guard setegid(owner.gid) == 0, seteuid(owner.uid) == 0 else {
            _ = setegid(0)
            throw IOError("take the identity of \(owner.name) to connect to", dataDirectory)
        }
        defer {
            _ = seteuid(0)
            _ = setegid(0)
        }
        return try body()
    }

    /// The last lines of the server log: only a log the owner's server wrote (a symlink or a file
    /// of someone else's at its name is not read, as root could read anything).
    public func logTail(lines: Int = 20) -> String {
        let bytes = (try? OpenDirectory.open(FileSystem.dirname(of: logFile))
            .readOwnedFile(FileSystem.basename(of: logFile), owners: [owner.uid, geteuid()], limit: 1 << 30)) ?? []
        let all = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        return all.suffix(lines).joined(separator: "\n")
    }
}

/// What a running postmaster says about itself in postmaster.pid, and the cluster state in pg_control.
struct ServerStatus {
    let pid: pid_t
    let port: Int
    let socketDirectory: String
    /// "starting", "stopping", "ready" or "standby" (PostgreSQL 10 and later).
    let state: String

    var acceptsConnections: Bool { state == "ready" || state == "standby" }

    /// DBState values of ControlFileData.state.
    static let shutDown: UInt32 = 1
    static let shutDownInRecovery: UInt32 = 2
    static let inArchiveRecovery: UInt32 = 5

    /// Parses `<data>/postmaster.pid`, read by descriptor; nil while it is missing or incomplete.
    static func read(_ dataDirectory: String, owner: FileOwner) -> ServerStatus? {
        guard let bytes = try? OpenDirectory.open(dataDirectory).readOwnedFile("postmaster.pid", owners: [owner.uid, geteuid()], limit: 1 << 16) else {
            return nil
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.filter { $0 != " " })
        }
        guard lines.count >= 8, let pid = pid_t(lines[0]), let port = Int(lines[3]) else { return nil }
        let socket = lines[4].isEmpty ? "/tmp" : lines[4]
        return ServerStatus(pid: pid, port: port, socketDirectory: socket, state: lines[7])
    }

    /// ControlFileData.state, after the system identifier and the two versions; nil if unreadable.
    static func controlState(_ dataDirectory: String, owner: FileOwner) -> UInt32? {
        guard let file = try? OpenDirectory.open(dataDirectory).directory("global").openForReading("pg_control") else { return nil }
        var state: UInt32 = 0
        let count = (try? withUnsafeMutableBytes(of: &state) { try file.read(into: $0, at: 16) }) ?? 0
        return count == 4 ? state : nil
    }
}
