/// A pg_class row as a heap insert into pg_class logs it (CREATE TABLE, and the TOAST relations and indexes made
/// with it): what `incidents` needs to name a table created after the newest backup. The row's first columns are
/// the same from 15 to 18 (src/include/catalog/pg_class.h): oid, relname (NameData, 64 bytes), relnamespace, reltype,
/// reloftype, relowner, relam, relfilenode, all fixed-width and NOT NULL, so at fixed offsets from the row's data.
package struct ClassRow: Equatable, Sendable {
    /// The database whose pg_class it is.
    package let database: UInt32
    package let oid: UInt32
    package let name: String
    package let namespace: UInt32
    /// 0 for a mapped catalog (its file is in pg_filenode.map).
    package let fileNumber: UInt32
    /// The insert's record.
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
    private static let columnsRead = 92
    /// SizeofHeapTupleHeader: the WAL leaves out the tuple header's first 23 bytes; t_hoff counts them.
    private static let tupleHeaderSize = 23
    /// xl_heap_header: t_infomask2 u16, t_infomask u16, t_hoff u8.
    private static let logHeaderSize = 5
    private static let pageSize = 8192               // BLCKSZ
    private static let pageHeaderSize = 24           // SizeOfPageHeaderData
    private static let normalLinePointer: UInt32 = 1 // LP_NORMAL

    /// The row an XLOG_HEAP_INSERT into pg_class logs, `offset` its xl_heap_insert offnum: from the block's data (the
    /// xl_heap_header, then the tuple from its null bitmap), or when a full-page image replaced the data, from the
    /// page at its line pointer. Nil when the image is compressed (wal_compression) or the row is not where the
    /// layout says.
    static func inserted(_ record: UnsafeRawBufferPointer, lsn: LSN, block: WALRecordBody.BlockReference, payloadStart: Int, offset: UInt16) -> ClassRow? {
        let start = payloadStart + block.payloadOffset
        if block.dataLength > logHeaderSize {
            let data = start + block.imageLength
            let columns = data + logHeaderSize + Int(record[data + 4]) - tupleHeaderSize
            guard columns >= data + logHeaderSize, columns + columnsRead <= data + block.dataLength else { return nil }
            return ClassRow(record, columns: columns, database: block.file.database, lsn: lsn)
        }
        guard block.hasImage, !block.imageIsCompressed, offset >= 1 else { return nil }
        // The page with its hole (between pd_lower and pd_upper, zeros) put back.
        let holeLength = block.imageHasHole ? pageSize - block.imageLength : 0
        guard holeLength >= 0, block.holeOffset <= block.imageLength, block.holeOffset + holeLength <= pageSize, start + block.imageLength <= record.count else { return nil }
        let cut = start + (block.imageHasHole ? block.holeOffset : block.imageLength)
        let page = Array(record[start..<cut]) + [UInt8](repeating: 0, count: holeLength) + Array(record[cut..<(start + block.imageLength)])
        guard page.count == pageSize else { return nil }
        return page.withUnsafeBytes { page -> ClassRow? in
            let pointerAt = pageHeaderSize + (Int(offset) - 1) * 4
            guard pointerAt + 4 <= pageSize else { return nil }
            let pointer = page.loadUnaligned(fromByteOffset: pointerAt, as: UInt32.self)
            let tuple = Int(pointer & 0x7FFF), length = Int(pointer >> 17)
            guard (pointer >> 15) & 3 == normalLinePointer, tuple + length <= pageSize, tuple + tupleHeaderSize <= pageSize else { return nil }
            let columns = tuple + Int(page[tuple + 22])
            guard columns + columnsRead <= tuple + length else { return nil }
            return ClassRow(page, columns: columns, database: block.file.database, lsn: lsn)
        }
    }

    private init(_ bytes: UnsafeRawBufferPointer, columns: Int, database: UInt32, lsn: LSN) {
        self.database = database
        self.lsn = lsn
        oid = bytes.loadUnaligned(fromByteOffset: columns, as: UInt32.self)
        let name = bytes[(columns + Self.nameOffset)..<(columns + Self.nameOffset + Self.nameSize)]
        self.name = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        namespace = bytes.loadUnaligned(fromByteOffset: columns + Self.namespaceOffset, as: UInt32.self)
        fileNumber = bytes.loadUnaligned(fromByteOffset: columns + Self.fileNumberOffset, as: UInt32.self)
    }
}
