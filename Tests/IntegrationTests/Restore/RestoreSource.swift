import Foundation
import Testing
import PITRWAL

/// The source of the restore tests: a cluster with `track_commit_timestamp = on` archiving through
/// tailtown-pitr, a table `ticks` that receives one row per transaction, a backup (`backup-push`)
/// taken after the first rows, more rows after it, and everything archived. Each row's commit
/// time comes from `pg_xact_commit_timestamp(xmin)`, its xid from xmin and the LSN after its commit.
final class RestoreSource {
    struct Row {
        let id: Int
        let xid: UInt32
        let committed: String
        /// `pg_current_wal_insert_lsn()` just after this row's transaction committed.
        let lsnAfter: String
    }

    let sandbox: Sandbox
    let tailtown: Tailtown
    let cluster: PostgresCluster
    private(set) var rows: [Row] = []
    private(set) var restorePoints: [String: Int] = [:]

    init(sandbox: Sandbox, tailtown: Tailtown, major: Int = PostgreSQL.defaultMajor, checksums: Bool? = nil,
         settings: [(String, String)] = []) throws {
        self.sandbox = sandbox
        self.tailtown = tailtown
        cluster = try PostgresCluster.initialize(in: sandbox, name: "source", major: major, checksums: checksums)
        try cluster.archive(through: tailtown)
        try cluster.configure([("track_commit_timestamp", "on"), ("checkpoint_timeout", "1d"), ("max_wal_size", "4GB")] + settings)
        try cluster.start()
        _ = try cluster.query("create table ticks (id int primary key, note text)")
    }

    /// A file:// source, encrypted like production.
    static func onFile() throws -> RestoreSource {
        let sandbox = try Sandbox()
        return try RestoreSource(sandbox: sandbox, tailtown: try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true))
    }

    /// An encrypted file:// source of `major` with pgbench's tables (scale 1), for the load the incident tests run.
    static func withPgbench(major: Int) throws -> RestoreSource {
        let sandbox = try Sandbox()
        let source = try RestoreSource(sandbox: sandbox, tailtown: try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true), major: major)
        try source.cluster.pgbench(["-i", "-q", "-s", "1"])
        return source
    }

    /// Commits `count` rows, each in its own transaction, a few milliseconds apart.
    func commitRows(_ count: Int) throws {
        for _ in 0..<count {
            let id = rows.count + 1
            // Its own transaction (one psql call), then its commit time and the LSN after the commit.
            _ = try cluster.query("insert into ticks values (\(id), 'row \(id)')")
            let fields = try cluster.query("select xmin, pg_xact_commit_timestamp(xmin), pg_current_wal_insert_lsn() from ticks where id = \(id)")
                .split(separator: "|").map(String.init)
            guard fields.count == 3, let xid = UInt32(fields[0]) else { throw HarnessError.system("unexpected row \(fields)") }
            rows.append(Row(id: id, xid: xid, committed: fields[1], lsnAfter: fields[2]))
            usleep(20_000)
        }
    }

    /// `pg_create_restore_point(name)` after the rows committed so far.
    func createRestorePoint(_ name: String) throws {
        _ = try cluster.query("select pg_create_restore_point('\(name)')")
        restorePoints[name] = rows.count
    }

    /// `backup-push` through the binary; returns its summary line.
    @discardableResult
    func backup(_ arguments: [String] = []) throws -> String {
        try sandbox.tailtown(["--config", tailtown.configFile, "backup-push", "--dbname", cluster.conninfo] + arguments).check()
    }

    /// Switches to a new segment and waits until everything written so far is archived.
    func archiveAll() throws {
        try cluster.waitUntilArchived(try cluster.switchWAL())
    }

    /// A time strictly between the commits of rows `id` and `id + 1`, in PostgreSQL's format with a zone.
    func timeBetween(_ id: Int) throws -> String {
        try midpoint(rows[id - 1].committed, rows[id].committed)
    }
}

/// The moment halfway between two of PostgreSQL's timestamps, in its format (UTC).
func midpoint(_ earlier: String, _ later: String) throws -> String {
    let a = try PostgresTimestamp(parsing: earlier), b = try PostgresTimestamp(parsing: later)
    #expect(a < b, "commit times \(earlier) and \(later) are not increasing")
    return PostgresTimestamp(rawValue: a.rawValue + (b.rawValue - a.rawValue) / 2).description
}

/// A restored copy started by the tests' own psql, for reading what it holds.
struct RestoredCopy {
    let sandbox: Sandbox
    let directory: String
    let port: Int
    /// The major whose psql and pg_ctl read and stop it.
    var major = PostgreSQL.defaultMajor

    func query(_ sql: String) throws -> String {
        try Command.runAsPostgres(try PostgreSQL.tool("psql", major: major), [
            "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", sandbox.root, "-p", String(port), "-U", "postgres", "-d", "postgres", "-c", sql,
        ]).check().trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The ids of `ticks`, ascending.
    func ids() throws -> [Int] {
        try query("select coalesce(string_agg(id::text, ',' order by id), '') from ticks").split(separator: ",").compactMap { Int($0) }
    }

    func stop() {
        _ = try? Command.runAsPostgres(try PostgreSQL.tool("pg_ctl", major: major), ["-D", directory, "-m", "immediate", "-w", "stop"])
    }

    /// Entries below the directory not owned by postgres.
    func notOwnedByPostgres() -> [String] {
        let walker = FileManager.default.enumerator(atPath: directory)
        var found: [String] = []
        while let relative = walker?.nextObject() as? String {
            let owner = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + relative))?[.ownerAccountName] as? String
            if owner != "postgres" { found.append(relative) }
        }
        return found
    }
}
