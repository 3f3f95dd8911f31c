/// Finds a record's main data behind its block and data headers, as `DecodeXLogRecord`
/// (src/backend/access/transam/xlogreader.c) walks them: after the 24-byte XLogRecord come
/// headers for up to 33 blocks (XLogRecordBlockHeader, then an image header when the block
/// carries a full-page image, then the relation unless BKPBLOCK_SAME_REL, then the block number),
/// optional origin (253) and top-level xid (252, 14+) headers, and last a main-data header
/// (255 with a 1-byte length, 254 with a 4-byte one). The block images and data follow the
/// headers in the same order, and the main data comes last.
enum WALRecordBody {
    struct Malformed: Error {
        let reason: String
    }

    private static let dataShort: UInt8 = 255          // XLR_BLOCK_ID_DATA_SHORT
    private static let dataLong: UInt8 = 254           // XLR_BLOCK_ID_DATA_LONG
    private static let origin: UInt8 = 253             // XLR_BLOCK_ID_ORIGIN: RepOriginId, 2 bytes
    private static let toplevelXID: UInt8 = 252        // XLR_BLOCK_ID_TOPLEVEL_XID: TransactionId, 4 bytes
    private static let maxBlockID: UInt8 = 32          // XLR_MAX_BLOCK_ID

    private static let hasImage: UInt8 = 0x10          // BKPBLOCK_HAS_IMAGE
    private static let hasData: UInt8 = 0x20           // BKPBLOCK_HAS_DATA
    private static let sameRelation: UInt8 = 0x80      // BKPBLOCK_SAME_REL
    private static let imageHasHole: UInt8 = 0x01      // BKPIMAGE_HAS_HOLE in every version

    /// XLogRecordBlockImageHeader: length u16, hole_offset u16, bimg_info u8.
    private static let imageHeaderSize = 5
    /// XLogRecordBlockCompressHeader: hole_length u16, present only for a compressed image with a hole.
    private static let compressHeaderSize = 2
    /// RelFileLocator: three Oids.
    private static let relationSize = 12

    /// Whether bimg_info says the image is compressed (BKPIMAGE_COMPRESS_PGLZ 0x04, LZ4 0x08, ZSTD 0x10).
    static func isCompressed(imageInfo: UInt8) -> Bool {
        imageInfo & 0x1C != 0
    }

    /// The byte range of the main data within `record` (the whole assembled record, header included).
    static func mainData(of record: UnsafeRawBufferPointer) throws -> Range<Int> {
        try mainData(of: record) { _, _ in }
    }

    /// The same, calling `block` with each block reference's relation file (the previous one's under
    /// BKPBLOCK_SAME_REL) and block number, in block-id order.
    static func mainData(of record: UnsafeRawBufferPointer, block: (RelationFile, UInt32) -> Void) throws -> Range<Int> {
        let total = record.count
        var relation = RelationFile(tablespace: 0, database: 0, number: 0)
        var offset = WALFormat.recordHeaderSize
        var payload = 0
        var mainLength = 0

        func need(_ count: Int, _ what: String) throws {
            guard offset + count <= total else {
                throw Malformed(reason: "the \(what) header at byte \(offset) runs past the record's \(total) bytes")
            }
        }

        headers: while total - offset > payload {
            try need(1, "block")
            let id = record[offset]
            offset += 1
            switch id {
            case dataShort:
                try need(1, "main data")
                mainLength = Int(record[offset])
                offset += 1
                break headers
            case dataLong:
                try need(4, "main data")
                mainLength = Int(record.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                offset += 4
                break headers
            case origin:
                try need(2, "origin")
                offset += 2
            case toplevelXID:
                try need(4, "top-level xid")
                offset += 4
            case 0...maxBlockID:
                try need(3, "block")
                let flags = record[offset]
                let dataLength = Int(record.loadUnaligned(fromByteOffset: offset + 1, as: UInt16.self))
                offset += 3
                guard flags & hasData != 0 || dataLength == 0 else {
                    throw Malformed(reason: "block \(id) has \(dataLength) bytes of data but no BKPBLOCK_HAS_DATA flag")
                }
                payload += dataLength
                if flags & hasImage != 0 {
                    try need(imageHeaderSize, "block image")
                    let imageLength = Int(record.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                    let imageInfo = record[offset + 4]
                    offset += imageHeaderSize
                    if imageInfo & imageHasHole != 0, isCompressed(imageInfo: imageInfo) {
                        try need(compressHeaderSize, "block image compression")
                        offset += compressHeaderSize
                    }
                    payload += imageLength
                }
                if flags & sameRelation == 0 {
                    try need(relationSize, "relation")
                    relation = RelationFile(record, at: offset)
                    offset += relationSize
                }
                try need(4, "block number")
                block(relation, record.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                offset += 4
            default:
                throw Malformed(reason: "invalid block id \(id) at byte \(offset - 1)")
            }
        }
        guard total - offset == payload + mainLength else {
            throw Malformed(reason: "its headers announce \(payload + mainLength) bytes of data but \(total - offset) follow them")
        }
        return (total - mainLength)..<total
    }
}
