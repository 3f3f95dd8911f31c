/// The whole 8 KiB blocks of one relation file, as its tar entry's data arrives in pieces of any size, each handed on
/// in order with its checksum. Blocks are checksummed two at a time (`BlockChecksum.checksums`): the pieces are
/// read in place where they hold a whole pair, and a pair split across pieces is gathered in a buffer of two blocks;
/// the file's last block, when its count is odd, is checksummed alone by `finish`.
final class ChecksummedBlocks {
    static let blockSize = IncrementalFileHeader.blockSize
    private static let pairSize = 2 * blockSize

    private let checksum: BlockChecksum
    private let pair = UnsafeMutableRawBufferPointer.allocate(byteCount: pairSize, alignment: 64)
    private var gathered = 0
    private let sums = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * BlockChecksum.size, alignment: 16)

    /// `body` receives each block and its checksum, valid only during the call.
    typealias Body = (_ block: UnsafeRawBufferPointer, _ checksum: UnsafeRawBufferPointer) throws -> Void

    init(_ checksum: BlockChecksum) {
        self.checksum = checksum
    }

    deinit {
        pair.deallocate()
        sums.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer, _ body: Body) throws {
        var rest = bytes[...]
        if gathered > 0 {
            let count = min(Self.pairSize - gathered, rest.count)
            UnsafeMutableRawBufferPointer(rebasing: pair[gathered..<gathered + count]).copyMemory(from: UnsafeRawBufferPointer(rebasing: rest.prefix(count)))
            gathered += count
            rest = rest.dropFirst(count)
            guard gathered == Self.pairSize else { return }
            try checksums(UnsafeRawBufferPointer(pair), body)
            gathered = 0
        }
        while rest.count >= Self.pairSize {
            try checksums(UnsafeRawBufferPointer(rebasing: rest.prefix(Self.pairSize)), body)
            rest = rest.dropFirst(Self.pairSize)
        }
        UnsafeMutableRawBufferPointer(rebasing: pair[..<rest.count]).copyMemory(from: UnsafeRawBufferPointer(rebasing: rest))
        gathered = rest.count
    }

    /// Hands on the file's last block, when one is left over; the file's length is a whole number of blocks.
    func finish(_ body: Body) throws {
        defer { gathered = 0 }
        guard gathered > 0 else { return }
        precondition(gathered == Self.blockSize, "a relation file's length is a whole number of blocks")
        let block = UnsafeRawBufferPointer(rebasing: pair[..<Self.blockSize])
        let sum = UnsafeMutableRawBufferPointer(rebasing: sums[..<BlockChecksum.size])
        try checksum.checksum(block, into: sum)
        try body(block, UnsafeRawBufferPointer(sum))
    }

    private func checksums(_ blocks: UnsafeRawBufferPointer, _ body: Body) throws {
        let first = UnsafeRawBufferPointer(rebasing: blocks[..<Self.blockSize])
        let second = UnsafeRawBufferPointer(rebasing: blocks[Self.blockSize...])
        let firstSum = UnsafeMutableRawBufferPointer(rebasing: sums[..<BlockChecksum.size])
        let secondSum = UnsafeMutableRawBufferPointer(rebasing: sums[BlockChecksum.size...])
        try checksum.checksums(first, second, into: firstSum, secondSum)
        try body(first, UnsafeRawBufferPointer(firstSum))
        try body(second, UnsafeRawBufferPointer(secondSum))
    }
}
