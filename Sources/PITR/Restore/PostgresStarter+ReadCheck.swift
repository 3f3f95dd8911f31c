import PITRNative
import PITRWAL

extension PostgresStarter {
    /// How long a read of a locked table waits before it counts as unreadable.
    static let readCheckLockTimeout = "2s"

    /// At the pause, reads each table (relkind r, p or m; not indexes or TOAST) whose lock the plan says recovery holds,
    /// as the owner: `SET lock_timeout` then `SELECT * FROM <table> LIMIT 0`. One line per table: readable, or why not.
    public func readCheck(_ held: HeldLocks) throws -> [String] {
        guard let status = ServerStatus.read(dataDirectory, owner: owner) else {
            return ["read check: the server on \(dataDirectory) is not running"]
        }
        let postgres = try connect(status, database: "postgres")
        var lines: [String] = []
        for database in Set(held.locks.map(\.database)).sorted() {
            let named = try postgres.query("select datname from pg_database where oid = \(database)")
            guard let name = named.value("datname") else {
                lines.append("read check: database OID \(database) is not in the copy")
                continue
            }
            let server = try connect(status, database: name)
            _ = try server.query("set lock_timeout = '\(Self.readCheckLockTimeout)'")
            for lock in held.locks where lock.database == database {
                let found = try server.query("""
                    select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
                    where c.oid = \(lock.relation) and c.relkind in ('r', 'p', 'm')
                    """)
                guard let table = found.value("name") else { continue }
                do {
                    _ = try server.query("select * from \(table) limit 0")
                    lines.append("read check: \(table) in \(name) can be read")
                } catch PostgresError.serverError(_, _, let state) where state == Self.lockNotAvailable {
                    lines.append("read check: \(table) in \(name) (relation OID \(lock.relation)) cannot be read: recovery holds the ACCESS EXCLUSIVE lock xid \(lock.xid) took at \(lock.lsn) (lock_timeout \(Self.readCheckLockTimeout) ran out); promote the copy, or restore to --lsn \(held.readableLSN) --exclusive")
                }
            }
        }
        return lines
    }

    /// SQLSTATE lock_not_available: lock_timeout ran out.
    static let lockNotAvailable = "55P03"
}
