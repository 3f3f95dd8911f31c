/// A relation's file as WAL records name it: RelFileLocator (RelFileNode before 16), three Oids
/// (tablespace, database, relation file number; database 0 for shared catalogs).
public struct RelationFile: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let tablespace: UInt32
    public let database: UInt32
    public let number: UInt32

    package init(tablespace: UInt32, database: UInt32, number: UInt32) {
        self.tablespace = tablespace
        self.database = database
        self.number = number
    }

    /// The 12 bytes at `offset` of `bytes`.
    init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        tablespace = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        database = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
        number = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
    }

    /// As pg_waldump writes it: `tablespace/database/file`.
    public var description: String { "\(tablespace)/\(database)/\(number)" }

    public static func < (a: RelationFile, b: RelationFile) -> Bool {
        (a.tablespace, a.database, a.number) < (b.tablespace, b.database, b.number)
    }
}
