import Foundation

/// A throw-away PostgreSQL cluster run as the `postgres` user (PostgreSQL refuses root),
/// listening only on a unix socket in its own folder. Stopped with `destroy()`.
final class BackupTestCluster {
    let folder: String
    let data: String
    let socketFolder: String
    let archiveFolder: String
    let port = 5432

    /// The libpq connection string for replication connections to this cluster.
    var replicationConninfo: String { "host=\(socketFolder) port=\(port) user=postgres dbname=postgres replication=database" }
    var conninfo: String { "host=\(socketFolder) port=\(port) user=postgres dbname=postgres" }

    /// PostgreSQL 15's bin folder, as every other cluster of the harness finds it.
    static var binaries: String {
        get throws { try PostgreSQL.binDirectory(major: PostgreSQL.defaultMajor) }
    }

    /// initdb and start; `settings` are appended to postgresql.conf.
    init(settings: [String] = [], archiveCommand: String? = nil) throws {
        var template = Array("/tmp/tt-backup-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ClusterError.failed("mkdtemp") }
        folder = String(cString: made)
        data = folder + "/data"
        socketFolder = folder + "/socket"
        archiveFolder = folder + "/archive"
        for sub in [socketFolder, archiveFolder] {
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        }
        try Self.run(["chown", "-R", "postgres:postgres", folder])
        try Self.run(["chmod", "0755", folder])
        try asPostgres(["\(try Self.binaries)/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-N", "-E", "UTF8", "--locale=C"])
        let archive = archiveCommand ?? "test ! -f \(archiveFolder)/%f && cp %p \(archiveFolder)/%f"
        let conf = ([
            "listen_addresses = ''",
            "unix_socket_directories = '\(socketFolder)'",
            "port = \(port)",
            "wal_level = replica",
            "max_wal_senders = 4",
            "fsync = off",
            "archive_mode = on",
            "archive_command = '\(archive.replacingOccurrences(of: "'", with: "''"))'",
        ] + settings).joined(separator: "\n") + "\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
        handle.seekToEndOfFile()
        handle.write(conf.data(using: .utf8)!)
        try handle.close()
        try start()
    }

    /// The server inherits pg_ctl's descriptors, and Foundation's Process never sees such a
    /// child end; system() waits for pg_ctl alone. Failures show the server log.
    func start() throws {
        let command = "runuser -u postgres -- \(try Self.binaries)/pg_ctl -D \(data) -l \(folder)/server.log -w -t 60 start >/dev/null 2>&1"
        guard system(command) == 0 else {
            let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
            throw ClusterError.failed("pg_ctl start failed: \(log)")
        }
    }

    func stop() {
        guard let binaries = try? Self.binaries else { return }  // then init never started a server
        _ = system("runuser -u postgres -- \(binaries)/pg_ctl -D \(data) -m fast -w stop >/dev/null 2>&1")
    }

    func destroy() {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs SQL with psql and returns its unaligned, tuples-only output.
    @discardableResult
    func sql(_ statement: String, database: String = "postgres") throws -> String {
        try asPostgres(["\(try Self.binaries)/psql", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-h", socketFolder, "-p", "\(port)", "-d", database, "-c", statement])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    func asPostgres(_ arguments: [String]) throws -> String {
        try Self.output(["runuser", "-u", "postgres", "--"] + arguments, directory: folder)
    }

    static func run(_ arguments: [String]) throws { _ = try output(arguments) }

    /// Runs a program (found on PATH) and returns its standard output; throws with its
    /// standard error when it exits non-zero.
    @discardableResult
    static func output(_ arguments: [String], directory: String? = nil, environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClusterError.failed("\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errData, as: UTF8.self))")
        }
        return String(decoding: outData, as: UTF8.self)
    }

    enum ClusterError: Error, CustomStringConvertible {
        case failed(String)
        var description: String { if case .failed(let s) = self { return s }; return "" }
    }
}
