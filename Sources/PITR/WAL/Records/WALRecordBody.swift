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
    /// BKPIMAGE_COMPRESS_PGLZ, _LZ4, _ZSTD (15 to 18: src/include/access/xlogrecord.h).
    private static let compressedWith: [(bit: UInt8, method: ImageCompression)] = [(0x04, .pglz), (0x08, .lz4), (0x10, .zstd)]
    private static let forkMask: UInt8 = 0x0F          // BKPBLOCK_FORK_MASK

    /// XLogRecordBlockImageHeader: length u16, hole_offset u16, bimg_info u8.
    private static let imageHeaderSize = 5
    /// XLogRecordBlockCompressHeader: hole_length u16, present only for a compressed image with a hole.
    private static let compressHeaderSize = 2
    /// RelFileLocator: three Oids.
    private static let relationSize = 12

    /// How wal_compression compressed a full-page image.
    enum ImageCompression: String {
        case pglz, lz4, zstd
    }

    /// The method bimg_info names, nil for an image stored as it is. Bits are tried in RestoreBlockImage's order.
    static func compression(imageInfo: UInt8) -> ImageCompression? {
        compressedWith.first { imageInfo & $0.bit != 0 }?.method
    }

    /// One block reference: its relation file (the previous one's under BKPBLOCK_SAME_REL) and block number, and
    /// where its image and data lie among the payload that follows the headers (the image first, then the data, block
    /// after block).
    struct BlockReference {
        let file: RelationFile
        /// The fork (0 the main one, 1 the free space map, 2 the visibility map, 3 the init fork).
        let fork: UInt8
        let number: UInt32
        /// From the start of the payload.
        let payloadOffset: Int
        /// The image's bytes in the record (compressed, when it is).
        let imageLength: Int
        /// bimg_info and hole_offset as the record holds them; all three 0 without an image. The hole's length is
        /// XLogRecordBlockCompressHeader's for a compressed image with BKPIMAGE_HAS_HOLE, BLCKSZ less `imageLength`
        /// for an uncompressed one, else 0 (as DecodeXLogRecord sets it; `PageImage` checks that they agree).
        let imageInfo: UInt8
        let holeOffset: Int
        let holeLength: Int
        let dataLength: Int

        var hasImage: Bool { imageLength > 0 }
        var imageHasHole: Bool { imageInfo & WALRecordBody.imageHasHole != 0 }
        var imageCompression: ImageCompression? { WALRecordBody.compression(imageInfo: imageInfo) }
    }

    /// The byte range of the main data within `record` (the whole assembled record, header included).
    static func mainData(of record: UnsafeRawBufferPointer) throws -> Range<Int> {
        try mainData(of: record) { _ in }
    }

    /// The same, calling `block` with each block reference in block-id order. The payload starts where the main
    /// data starts less the sum of the blocks' image and data lengths.
    static func mainData(of record: UnsafeRawBufferPointer, block: (BlockReference) -> Void) throws -> Range<Int> {
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
                let payloadOffset = payload
                var image = (length: 0, info: UInt8(0), holeOffset: 0, holeLength: 0)
                if flags & hasImage != 0 {
                    try need(imageHeaderSize, "block image")
                    image.length = Int(record.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                    image.holeOffset = Int(record.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self))
                    image.info = record[offset + 4]
                    offset += imageHeaderSize
                    if image.info & imageHasHole != 0 {
                        if compression(imageInfo: image.info) != nil {
                            try need(compressHeaderSize, "block image compression")
                            image.holeLength = Int(record.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                            offset += compressHeaderSize
                        } else {
                            image.holeLength = PageImage.size - image.length
                        }
                    }
                }
                payload += image.length + dataLength
                if flags & sameRelation == 0 {
                    try need(relationSize, "relation")
                    relation = RelationFile(record, at: offset)
                    offset += relationSize
                }
                try need(4, "block number")
                block(BlockReference(file: relation, fork: flags & forkMask, number: record.loadUnaligned(fromByteOffset: offset, as: UInt32.self), payloadOffset: payloadOffset,
                                     imageLength: image.length, imageInfo: image.info, holeOffset: image.holeOffset,
                                     holeLength: image.holeLength, dataLength: dataLength))
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
