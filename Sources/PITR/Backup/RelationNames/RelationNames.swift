import PITRWAL

/// The names relation files had when a backup started, for `incidents` to name tables as they were (docs/format.md,
/// "Relation names"): each database's name, its schemas (pg_namespace), and for each relation file the table it
/// belongs to (an index's or a TOAST relation's is its table's), by schema OID and name, and the same by relation OID
/// (what a logged lock names). Stored with the backup as its `relation-names` archive, authenticated like every piece.
package struct RelationNames: Equatable, Sendable {
    /// A relation file within its database; the tablespace is left out, as a pg_class row read from the WAL names
    /// none for a table in its database's default one.
    package struct FileKey: Hashable, Sendable {
        package let database: UInt32
        package let number: UInt32

        package init(database: UInt32, number: UInt32) {
            self.database = database
            self.number = number
        }

        package init(_ file: RelationFile) {
            self.init(database: file.database, number: file.number)
        }
    }

    /// A table by its schema's OID and its own name.
    package struct Table: Equatable, Sendable {
        package let namespace: UInt32
        package let name: String

        package init(namespace: UInt32, name: String) {
            self.namespace = namespace
            self.name = name
        }
    }

    package var databases: [UInt32: String] = [:]
    /// Schema names by database and schema OID.
    package var namespaces: [UInt32: [UInt32: String]] = [:]
    package var tables: [FileKey: Table] = [:]
    /// Tables by database and relation OID (an index's or a TOAST relation's OID giving its table); empty in maps of
    /// format 1.
    package var relations: [UInt32: [UInt32: Table]] = [:]

    package init() {}

    /// `schema.table`, the schema by its OID when the map does not hold it.
    package func qualifiedName(_ table: Table, database: UInt32) -> String {
        (namespaces[database]?[table.namespace] ?? String(table.namespace)) + "." + table.name
    }
}

extension RelationNames {
    private static let firstLine = "tailtown-pitr relation names 2"
    /// Format 1 had no `r` lines.
    private static let firstLines = ["tailtown-pitr relation names 1", firstLine]

    /// One line per entry, tab-separated, names escaped (backslash, tab, newline): `d oid name`, `n database oid name`,
    /// `f database file namespace name`, `r database oid namespace name`, sorted, after a first line that names the format.
    package var bytes: [UInt8] {
        var lines = databases.sorted { $0.key < $1.key }.map { "d\t\($0.key)\t\(Self.escaped($0.value))" }
        for (database, names) in namespaces.sorted(by: { $0.key < $1.key }) {
            lines += names.sorted { $0.key < $1.key }.map { "n\t\(database)\t\($0.key)\t\(Self.escaped($0.value))" }
        }
        lines += tables.sorted { ($0.key.database, $0.key.number) < ($1.key.database, $1.key.number) }.map {
            "f\t\($0.key.database)\t\($0.key.number)\t\($0.value.namespace)\t\(Self.escaped($0.value.name))"
        }
        for (database, tables) in relations.sorted(by: { $0.key < $1.key }) {
            lines += tables.sorted { $0.key < $1.key }.map { "r\t\(database)\t\($0.key)\t\($0.value.namespace)\t\(Self.escaped($0.value.name))" }
        }
        return Array(([Self.firstLine] + lines).map { $0 + "\n" }.joined().utf8)
    }

    /// Parses `bytes` as `bytes` writes them; `BackupError.unreadableNames` names `object` and the first bad line.
    package init(parsing bytes: [UInt8], object: String) throws {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, Self.firstLines.contains(String(first)) else {
            throw BackupError.unreadableNames(object: object, reason: "it does not start with '\(Self.firstLine)' (nor format 1's)")
        }
        for (number, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let oids = fields.dropFirst().dropLast().compactMap { UInt32($0) }
            let name = fields.last.map { Self.unescaped($0) }
            switch (fields.first, oids.count, fields.count, name) {
            case ("d", 1, 3, let name?): databases[oids[0]] = name
            case ("n", 2, 4, let name?): namespaces[oids[0], default: [:]][oids[1]] = name
            case ("f", 3, 5, let name?): tables[FileKey(database: oids[0], number: oids[1])] = Table(namespace: oids[2], name: name)
            case ("r", 3, 5, let name?): relations[oids[0], default: [:]][oids[1]] = Table(namespace: oids[2], name: name)
            default: throw BackupError.unreadableNames(object: object, reason: "line \(number + 1) is not a database, schema, file or relation entry")
            }
        }
    }

    private static func escaped(_ name: String) -> String {
        String(name.flatMap { character -> [Character] in
            switch character {
            case "\\": ["\\", "\\"]
            case "\t": ["\\", "t"]
            case "\n": ["\\", "n"]
            default: [character]
            }
        })
    }

    private static func unescaped(_ field: Substring) -> String {
        var name = ""
        var escaping = false
        for character in field {
            if escaping {
                name.append(character == "t" ? "\t" : character == "n" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                name.append(character)
            }
        }
        return name
    }
}
