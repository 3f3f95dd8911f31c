/// A pg_class row's naming columns: what `incidents` needs to name a table whose file the WAL created or renumbered
/// after the newest backup. The row's first columns are the same from 15 to 18 (src/include/catalog/pg_class.h): oid,
/// relname (NameData, 64 bytes), relnamespace, reltype, reloftype, relowner, relam, relfilenode, all fixed-width and
/// NOT NULL, so at fixed offsets from the row's data (the bytes after t_hoff). Read from the rows pg_class inserts and
/// updates write (`ClassTupleChange`, `ClassTupleReplay`).
package struct ClassRow: Equatable, Sendable {
    /// The database whose pg_class it is.
    package let database: UInt32
    package let oid: UInt32
    package let name: String
    package let namespace: UInt32
    /// 0 for a mapped catalog (its file is in pg_filenode.map).
    package let fileNumber: UInt32
    /// The record that wrote the row.
    package let lsn: LSN

    package init(database: UInt32, oid: UInt32, name: String, namespace: UInt32, fileNumber: UInt32, lsn: LSN) {
        self.lsn = lsn
        self.database = database
        self.oid = oid
        self.name = name
        self.namespace = namespace
        self.fileNumber = fileNumber
    }

    private static let nameOffset = 4
    private static let nameSize = 64                // NAMEDATALEN
    private static let namespaceOffset = 68
    private static let fileNumberOffset = 88
    /// The columns read: a row's data must be at least this long.
    static let columnsRead = 92

    /// The row whose data (from t_hoff on) is `columns`; nil when it is too short to be a pg_class row.
    init?(columns: [UInt8], database: UInt32, lsn: LSN) {
        guard columns.count >= Self.columnsRead else { return nil }
        self.database = database
        self.lsn = lsn
        (oid, namespace, fileNumber) = columns.withUnsafeBytes {
            ($0.loadUnaligned(as: UInt32.self), $0.loadUnaligned(fromByteOffset: Self.namespaceOffset, as: UInt32.self),
             $0.loadUnaligned(fromByteOffset: Self.fileNumberOffset, as: UInt32.self))
        }
        name = String(decoding: columns[Self.nameOffset..<(Self.nameOffset + Self.nameSize)].prefix { $0 != 0 }, as: UTF8.self)
    }
}
