import PITRSupport

/// PostgreSQL's incremental file (17 and later; src/include/backup/basebackup_incremental.h): in an incremental
/// backup, `INCREMENTAL.<name>` stands for relation file `<name>` and holds only the blocks that changed since the
/// parent backup. Integers are in the server's byte order, little-endian on every platform PostgreSQL builds for
/// here:
///
/// ```
/// magic 0xd3ae1f0d | block count n | truncation block length | n block numbers (relative to the segment)
/// | zeros to a multiple of the block size, when n > 0 | n blocks
/// ```
///
/// The rebuilt file holds `reconstructedBlockLength` blocks: those listed here, and below the truncation block
/// length, each other block from the newest older backup that holds it (zeros when none does). tailtown-pitr's
/// block-compare way writes the same files, and may cut one file's changes into several `INCREMENTAL.<name>`
/// entries of the same archive, each with the same truncation block length (docs/format.md).
package struct IncrementalFileHeader: Equatable, Sendable {
    package static let magic: UInt32 = 0xd3ae_1f0d
    package static let namePrefix = "INCREMENTAL."
    /// PostgreSQL's BLCKSZ, the only block size tailtown-pitr backs up incrementally.
    package static let blockSize = 8192
    /// A relation segment's most blocks (RELSEG_SIZE of 1 GiB segments); a header claiming more is damaged.
    package static let maximumBlocks: UInt32 = 131_072

    /// The blocks the file holds, in stored order, relative to the start of the segment file.
    package let blocks: [UInt32]
    package let truncationBlockLength: UInt32

    package init(blocks: [UInt32], truncationBlockLength: UInt32) {
        self.blocks = blocks
        self.truncationBlockLength = truncationBlockLength
    }

    /// The header's bytes, padding included.
    package var headerLength: Int {
        let length = 12 + 4 * blocks.count
        return blocks.isEmpty ? length : (length + Self.blockSize - 1) / Self.blockSize * Self.blockSize
    }

    /// The whole file's length.
    package var fileLength: Int { headerLength + blocks.count * Self.blockSize }

    /// How many blocks the rebuilt file holds.
    package var reconstructedBlockLength: UInt32 { max(truncationBlockLength, (blocks.max() ?? 0) + (blocks.isEmpty ? 0 : 1)) }

    /// The header, padding included.
    package var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerLength)
        for value in [Self.magic, UInt32(blocks.count), truncationBlockLength] + blocks {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        bytes += [UInt8](repeating: 0, count: headerLength - bytes.count)
        return bytes
    }

    /// Each block of a run that `IncrementalFileReader` hands on (`bytes`, numbered from `first` up), with its number.
    package static func blocks(_ first: UInt32, _ bytes: UnsafeRawBufferPointer) -> some Sequence<(UInt32, UnsafeRawBufferPointer)> {
        stride(from: 0, to: bytes.count, by: blockSize).lazy.map { (first &+ UInt32($0 / blockSize), UnsafeRawBufferPointer(rebasing: bytes[$0..<($0 + blockSize)])) }
    }

    /// `base/5/INCREMENTAL.16384` for `base/5/16384`.
    package static func incrementalPath(of path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return (parts.dropLast() + [Substring(namePrefix + (parts.last ?? ""))]).joined(separator: "/")
    }

    /// `base/5/16384` for `base/5/INCREMENTAL.16384`; nil for a path that is not an incremental file's.
    package static func relationPath(ofIncremental path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard let last = parts.last, last.hasPrefix(namePrefix), last.count > namePrefix.count else { return nil }
        return (parts.dropLast() + [last.dropFirst(namePrefix.count)]).joined(separator: "/")
    }
}

/// Reads an incremental file as its bytes arrive (in pieces of any size): the header first, then its blocks with their
/// numbers, a run of consecutive ones at a time when they arrive together. Holds the header, and one block when it
/// arrives split.
package final class IncrementalFileReader {
    /// Names the file in errors, such as `base/5/INCREMENTAL.16384 in <object>`.
    let file: String
    private let onHeader: (IncrementalFileHeader) throws -> Void
    private let onBlocks: (UInt32, UnsafeRawBufferPointer) throws -> Void
    private var fixed: [UInt8] = []
    private var header: IncrementalFileHeader?
    private var headerBytesLeft = 0
    private var numbers: [UInt32] = []
    private var block: [UInt8] = []
    private var blockIndex = 0

    /// `onBlocks` gets the number of a run's first block and the run's bytes (a whole number of blocks, numbered from it
    /// up), valid only during the call.
    package init(file: String, onHeader: @escaping (IncrementalFileHeader) throws -> Void,
                 onBlocks: @escaping (_ first: UInt32, _ bytes: UnsafeRawBufferPointer) throws -> Void) {
        self.file = file
        self.onHeader = onHeader
        self.onBlocks = onBlocks
        fixed.reserveCapacity(12)
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes[...]
        while !rest.isEmpty {
            if fixed.count < 12 {
                let count = min(12 - fixed.count, rest.count)
                fixed += rest.prefix(count)
                rest = rest.dropFirst(count)
                if fixed.count == 12 { try readFixedPart() }
            } else if let header {
                guard blockIndex < header.blocks.count else { throw damaged("it is longer than its header says") }
                // Whole blocks within these bytes are handed on where they lie, without a copy, as many at once as
                // follow each other in the file.
                if block.isEmpty, rest.count >= IncrementalFileHeader.blockSize {
                    let first = header.blocks[blockIndex]
                    var count = 1
                    while blockIndex + count < header.blocks.count, rest.count >= (count + 1) * IncrementalFileHeader.blockSize,
                          header.blocks[blockIndex + count] == first &+ UInt32(count) {
                        count += 1
                    }
                    try onBlocks(first, UnsafeRawBufferPointer(rebasing: rest.prefix(count * IncrementalFileHeader.blockSize)))
                    blockIndex += count
                    rest = rest.dropFirst(count * IncrementalFileHeader.blockSize)
                    continue
                }
                let count = min(IncrementalFileHeader.blockSize - block.count, rest.count)
                block += rest.prefix(count)
                rest = rest.dropFirst(count)
                if block.count == IncrementalFileHeader.blockSize {
                    try block.withUnsafeBytes { try onBlocks(header.blocks[blockIndex], $0) }
                    blockIndex += 1
                    block.removeAll(keepingCapacity: true)
                }
            } else {
                // Block numbers, then the padding.
                let count = min(headerBytesLeft, rest.count)
                for byte in rest.prefix(count) {
                    if numbers.count < blockCount {
                        pendingNumber.append(byte)
                        if pendingNumber.count == 4 {
                            numbers.append(pendingNumber.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
                            pendingNumber.removeAll(keepingCapacity: true)
                        }
                    } else if byte != 0 {
                        throw damaged("its header's padding is not zeros")
                    }
                }
                rest = rest.dropFirst(count)
                headerBytesLeft -= count
                if headerBytesLeft == 0 { try publishHeader() }
            }
        }
    }

    private var pendingNumber: [UInt8] = []
    private var blockCount = 0
    private var truncation: UInt32 = 0

    private func readFixedPart() throws {
        let values = (0..<3).map { index in fixed.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)) } }
        guard values[0] == IncrementalFileHeader.magic else {
            throw damaged("its magic number is \(String(values[0], radix: 16)), not d3ae1f0d")
        }
        guard values[1] <= IncrementalFileHeader.maximumBlocks, values[2] <= IncrementalFileHeader.maximumBlocks else {
            throw damaged("it claims \(values[1]) blocks and a truncation length of \(values[2]) blocks, beyond a segment's \(IncrementalFileHeader.maximumBlocks)")
        }
        truncation = values[2]
        blockCount = Int(values[1])
        numbers.reserveCapacity(blockCount)
        headerBytesLeft = IncrementalFileHeader(blocks: [UInt32](repeating: 0, count: Int(values[1])), truncationBlockLength: 0).headerLength - 12
        if headerBytesLeft == 0 { try publishHeader() }
    }

    private func publishHeader() throws {
        let made = IncrementalFileHeader(blocks: numbers, truncationBlockLength: truncation)
        numbers = []
        header = made
        try onHeader(made)
    }

    /// Throws unless the whole file arrived.
    package func finish() throws {
        guard let header, blockIndex == header.blocks.count, block.isEmpty else { throw damaged("it ends before its last block") }
    }

    private func damaged(_ reason: String) -> TarFormatError {
        .corrupt(archive: file, reason: "the incremental file is damaged: \(reason)")
    }
}
