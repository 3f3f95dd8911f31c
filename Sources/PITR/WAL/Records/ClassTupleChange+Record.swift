/// Reads pg_class tuples out of heap records as heapam.c logs them, the same from 15 to 18
/// (src/include/access/heapam_xlog.h, htup_details.h, bufpage.h; heap_xlog_insert and heap_xlog_update show the replay).
extension ClassTupleChange {
    /// SizeofHeapTupleHeader: the WAL leaves out the tuple header's first 23 bytes; t_hoff counts them.
    private static let tupleHeaderSize = 23
    /// xl_heap_header: t_infomask2 u16, t_infomask u16, t_hoff u8.
    private static let logHeaderSize = 5
    private static let pageSize = PageImage.size
    private static let pageHeaderSize = 24           // SizeOfPageHeaderData
    private static let lowerOffset = 12              // pd_lower
    private static let normalLinePointer: UInt32 = 1 // LP_NORMAL
    /// xl_heap_update: old_xmax u32, old_offnum u16, old_infobits_set u8, flags u8, new_xmax u32, new_offnum u16.
    private static let updateSize = 14
    private static let updateOldOffset = 4
    private static let updateFlags = 7
    private static let updateNewOffset = 12
    private static let prefixFromOld: UInt8 = 0x20   // XLH_UPDATE_PREFIX_FROM_OLD
    private static let suffixFromOld: UInt8 = 0x40   // XLH_UPDATE_SUFFIX_FROM_OLD

    /// The tuples of the pg_class page whose full-page image `block` carries (decompressed, its hole put back:
    /// `PageImage`); throws `PageImage.Refused` when the image is refused, whose rows are then counted unreadable.
    static func imaged(_ record: UnsafeRawBufferPointer, block: WALRecordBody.BlockReference, payloadStart: Int) throws -> [ClassTupleChange] {
        let page = try PageImage.restore(record, block: block, payloadStart: payloadStart)
        return page.withUnsafeBytes { page in
            let lower = Int(page.loadUnaligned(fromByteOffset: lowerOffset, as: UInt16.self))
            guard lower >= pageHeaderSize, lower <= pageSize else { return [] }
            return stride(from: pageHeaderSize, to: lower - 3, by: 4).compactMap { pointerAt -> ClassTupleChange? in
                let pointer = page.loadUnaligned(fromByteOffset: pointerAt, as: UInt32.self)
                let tuple = Int(pointer & 0x7FFF), length = Int(pointer >> 17)
                guard (pointer >> 15) & 3 == normalLinePointer, tuple + tupleHeaderSize <= pageSize, tuple + length <= pageSize else { return nil }
                let columns = tuple + Int(page[tuple + 22])
                guard columns <= tuple + length else { return nil }
                let location = ClassTupleLocation(database: block.file.database, block: block.number, offset: UInt16((pointerAt - pageHeaderSize) / 4 + 1))
                return .imaged(location, columns: Array(page[columns..<(tuple + length)]))
            }
        }
    }

    /// The row an XLOG_HEAP_INSERT into pg_class writes at `location` (xl_heap_insert's offnum on block 0): from the
    /// block's data (the xl_heap_header, then the tuple from its null bitmap), else from the page's image (`imaged`).
    static func inserted(_ record: UnsafeRawBufferPointer, block: WALRecordBody.BlockReference, payloadStart: Int, location: ClassTupleLocation,
                         imaged: [ClassTupleChange], xid: UInt32, lsn: LSN) throws -> ClassTupleChange {
        guard block.dataLength > 0 else { return fromImage(imaged, location, xid: xid, lsn: lsn) }
        let data = payloadStart + block.payloadOffset + block.imageLength
        let columns = try columnsStart(record, header: data, end: data + block.dataLength)
        return .written(location, columns: Array(record[columns..<(data + block.dataLength)]), xid: xid, lsn: lsn)
    }

    /// The row an XLOG_HEAP_UPDATE or XLOG_HEAP_HOT_UPDATE of pg_class writes: block 0 is the new row's page, block 1
    /// the old one's when it is another (`oldBlock`). The new row is in block 0's data (after the prefix and suffix
    /// lengths the flags announce, and the xl_heap_header), else in its page's image.
    static func updated(_ record: UnsafeRawBufferPointer, main: Range<Int>, block: WALRecordBody.BlockReference, oldBlock: UInt32?,
                        payloadStart: Int, imaged: [ClassTupleChange], xid: UInt32, lsn: LSN) throws -> ClassTupleChange {
        guard main.count >= updateSize else {
            throw WALRecordBody.Malformed(reason: "its heap update data is \(main.count) bytes, expected at least \(updateSize)")
        }
        let flags = record[main.lowerBound + updateFlags]
        let new = ClassTupleLocation(database: block.file.database, block: block.number,
                                     offset: record.loadUnaligned(fromByteOffset: main.lowerBound + updateNewOffset, as: UInt16.self))
        guard block.dataLength > 0 else { return fromImage(imaged, new, xid: xid, lsn: lsn) }
        let end = payloadStart + block.payloadOffset + block.imageLength + block.dataLength
        var at = end - block.dataLength
        func length(_ flag: UInt8) throws -> Int {
            guard flags & flag != 0 else { return 0 }
            guard at + 2 <= end else { throw WALRecordBody.Malformed(reason: "its heap update data ends inside its prefix and suffix lengths") }
            defer { at += 2 }
            return Int(record.loadUnaligned(fromByteOffset: at, as: UInt16.self))
        }
        let prefix = try length(prefixFromOld), suffix = try length(suffixFromOld)
        let columns = Array(record[try columnsStart(record, header: at, end: end)..<end])
        guard prefix > 0 || suffix > 0 else { return .written(new, columns: columns, xid: xid, lsn: lsn) }
        let old = ClassTupleLocation(database: block.file.database, block: oldBlock ?? block.number,
                                     offset: record.loadUnaligned(fromByteOffset: main.lowerBound + updateOldOffset, as: UInt16.self))
        return .compressed(old: old, new: new, prefix: prefix, suffix: suffix, middle: columns, xid: xid, lsn: lsn)
    }

    /// Where the columns start behind the xl_heap_header at `header`: past the null bitmap and padding (t_hoff less
    /// the header bytes the WAL leaves out).
    private static func columnsStart(_ record: UnsafeRawBufferPointer, header: Int, end: Int) throws -> Int {
        guard header + logHeaderSize <= end else { throw WALRecordBody.Malformed(reason: "its pg_class tuple ends inside its xl_heap_header") }
        let columns = header + logHeaderSize + Int(record[header + 4]) - tupleHeaderSize
        guard columns >= header + logHeaderSize, columns <= end else {
            throw WALRecordBody.Malformed(reason: "its pg_class tuple's t_hoff \(record[header + 4]) lies outside its \(end - header) bytes")
        }
        return columns
    }

    /// The row at `location` on the record's own page image; unreadable when that image was refused (`PageImage`).
    private static func fromImage(_ imaged: [ClassTupleChange], _ location: ClassTupleLocation, xid: UInt32, lsn: LSN) -> ClassTupleChange {
        for case .imaged(location, let columns) in imaged { return .written(location, columns: columns, xid: xid, lsn: lsn) }
        return .unreadable(location)
    }
}
