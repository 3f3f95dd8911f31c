import Testing
@testable import PITRNative
@testable import PITRRestore

@Suite struct PiecewiseCRC32CTests {
    /// A file of `length` bytes with `pieces` written in the given order (the rest zeros): the piecewise checksum
    /// against the checksum of the whole file.
    private func check(length: Int, pieces: [Range<Int>], _ comment: Comment) {
        let data = (0..<length).map { UInt8(truncatingIfNeeded: ($0 &* 40_503) >> 7 &+ 1) }
        var file = [UInt8](repeating: 0, count: length)
        var piecewise = PiecewiseCRC32C()
        for piece in pieces {
            file.replaceSubrange(piece, with: data[piece])
            Array(data[piece]).withUnsafeBytes { piecewise.add($0, at: piece.lowerBound) }
        }
        #expect(piecewise.value(length: length) == CRC32C.checksum(file), comment)
    }

    @Test func anyOrderOfPiecesGivesTheFilesChecksum() {
        check(length: 0, pieces: [], "an empty file")
        check(length: 5000, pieces: [], "zeros only")
        check(length: 8192 * 4, pieces: [0..<8192, 8192..<16384, 16384..<32768], "in order")
        check(length: 8192 * 4, pieces: [16384..<24576, 0..<8192, 24576..<32768, 8192..<16384], "out of order, joined at last")
        check(length: 8192 * 8, pieces: [8192..<16384, 40960..<49152, 0..<100, 100..<8192, 20000..<20001], "gaps stay zeros")
        check(length: 65536, pieces: [30000..<30100, 29000..<30000, 30100..<40000, 0..<29000, 40000..<65536], "a piece joining both neighbours")
        // Many single blocks in a shuffled order, as an older backup's INCREMENTAL entries fill a file's holes.
        var generator = SystemRandomNumberGenerator()
        let blocks = (0..<64).map { $0 * 8192..<($0 + 1) * 8192 }.filter { $0.lowerBound % 3 != 0 }.shuffled(using: &generator)
        check(length: 64 * 8192, pieces: blocks, "shuffled blocks, every third missing")
    }

    @Test func overlappingWritesOrWritesPastTheLengthLeaveItUnknown() {
        var overlapped = PiecewiseCRC32C()
        [UInt8](repeating: 1, count: 100).withUnsafeBytes {
            overlapped.add($0, at: 0)
            overlapped.add($0, at: 50)
        }
        #expect(overlapped.value(length: 150) == nil)
        var long = PiecewiseCRC32C()
        [UInt8](repeating: 1, count: 100).withUnsafeBytes { long.add($0, at: 10) }
        #expect(long.value(length: 100) == nil)
        #expect(long.value(length: 110) != nil)
    }
}
