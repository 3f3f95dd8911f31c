import PITRNative

/// A block's full-page image made a page again, as RestoreBlockImage (src/backend/access/transam/xlogreader.c) does
/// from 15 to 18: decompressed when bimg_info names a method (`PGLZ`; LZ4 and zstd through their libraries), then the
/// hole (the zeros between hole_offset and hole_offset + hole_length that PostgreSQL left out) put back. The lengths
/// are checked as DecodeXLogRecord checks them, and the image must decompress to exactly BLCKSZ less the hole: a page
/// comes out whole and exact, or `Refused` says why.
enum PageImage {
    /// BLCKSZ.
    static let size = 8192

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// The page `block`'s image holds; the image lies `block.payloadOffset` bytes after `payloadStart` in `record`.
    static func restore(_ record: UnsafeRawBufferPointer, block: WALRecordBody.BlockReference, payloadStart: Int) throws -> [UInt8] {
        let start = payloadStart + block.payloadOffset, length = block.imageLength
        let (holeOffset, holeLength, compression) = (block.holeOffset, block.holeLength, block.imageCompression)
        guard start >= 0, length > 0, start + length <= record.count else {
            throw Refused(description: "its \(length)-byte image at byte \(start) lies outside the record's \(record.count)")
        }
        if block.imageHasHole {
            guard holeOffset > 0, holeLength > 0, length < size, holeOffset + holeLength <= size else {
                throw Refused(description: "its hole (\(holeLength) bytes at \(holeOffset), image \(length) bytes) does not fit a page")
            }
        } else {
            guard holeOffset == 0, holeLength == 0 else { throw Refused(description: "it has a hole offset \(holeOffset) but no BKPIMAGE_HAS_HOLE") }
            guard compression != nil ? length < size : length == size else {
                throw Refused(description: "its \(length)-byte image without a hole is not \(compression == nil ? "" : "less than ")\(size) bytes")
            }
        }
        let image = UnsafeRawBufferPointer(rebasing: record[start..<(start + length)])
        let stored = size - holeLength
        var bytes: [UInt8]
        switch compression {
        case nil:
            bytes = Array(image)
        case .pglz?:
            do { bytes = try PGLZ.decompress(image, size: stored) } catch { throw Refused(description: "its pglz image is corrupt: \(error)") }
        case let method?:
            bytes = [UInt8](repeating: 0, count: stored)
            let produced: Int
            do {
                produced = try bytes.withUnsafeMutableBytes {
                    method == .lz4 ? try LZ4FrameDecompressor.decompressBlock(image, into: $0) : try ZstdDecompressor.decompressFrame(image, into: $0)
                }
            } catch {
                throw Refused(description: "its \(method.rawValue) image is corrupt: \(error)")
            }
            guard produced == stored else { throw Refused(description: "its \(method.rawValue) image decodes to \(produced) bytes, not \(stored)") }
        }
        if holeLength > 0 { bytes.insert(contentsOf: repeatElement(0, count: holeLength), at: holeOffset) }
        return bytes
    }
}
