import PITRNative
import PITRSupport

extension RelationNames {
    /// Every database's name, and the schemas and relation files of each database that accepts connections: the one
    /// `connection` is connected to over it, each other one over a connection of its own made the same way. A database
    /// that cannot be read is left out with a warning (its tables are then shown by relation file).
    package static func read(from connection: PostgresConnection, log: Log) throws -> RelationNames {
        var names = RelationNames()
        let databases = try connection.query("""
            SELECT oid, datname, datallowconn AND datconnlimit <> -2, datname = current_database() FROM pg_database
            """)
        for row in databases.values {
            guard let oid = row[0].flatMap({ UInt32($0) }), let name = row[1] else { continue }
            names.databases[oid] = name
            guard row[2] == "t" else { continue }
            do {
                if row[3] == "t" {
                    names.add(try connection.query(fileQuery), database: oid)
                } else {
                    let other = try connection.connection(toDatabase: name)
                    defer { other.close() }
                    names.add(try other.query(fileQuery), database: oid)
                }
            } catch {
                log.warning("cannot read the table names of database \(name): \(error); incidents will show its tables by relation file")
            }
        }
        return names
    }

    /// The schemas (`n`), and each relation file (`f`) and relation OID (`r`) with its table: an index's is the table it
    /// indexes, a TOAST relation's (and its index's) the table that owns it. Shared catalogs and other sessions' temporary
    /// tables are left out.
    private static let fileQuery = """
        WITH r AS (
            SELECT c.oid, pg_relation_filenode(c.oid) AS file, o.relnamespace, o.relname
            FROM pg_class c
            LEFT JOIN pg_index i ON i.indexrelid = c.oid
            LEFT JOIN (SELECT reltoastrelid AS toast, oid AS owner FROM pg_class WHERE reltoastrelid <> 0) t ON t.toast = coalesce(i.indrelid, c.oid)
            JOIN pg_class o ON o.oid = coalesce(t.owner, i.indrelid, c.oid)
            WHERE NOT c.relisshared AND c.relpersistence <> 't')
        SELECT 'n', oid::text, '', nspname::text FROM pg_namespace
        UNION ALL
        SELECT 'f', file::text, relnamespace::text, relname::text FROM r WHERE file IS NOT NULL
        UNION ALL
        SELECT 'r', oid::text, relnamespace::text, relname::text FROM r
        """

    private mutating func add(_ rows: PostgresRows, database: UInt32) {
        for row in rows.values {
            guard let first = row[1].flatMap({ UInt32($0) }), let name = row[3] else { continue }
            if row[0] == "n" {
                namespaces[database, default: [:]][first] = name
            } else if let namespace = row[2].flatMap({ UInt32($0) }) {
                let table = Table(namespace: namespace, name: name)
                if row[0] == "r" { relations[database, default: [:]][first] = table } else { tables[FileKey(database: database, number: first)] = table }
            }
        }
    }
}
