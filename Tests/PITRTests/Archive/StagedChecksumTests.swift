import Testing
@testable import PITRArchive
@testable import PITRSupport

@Suite struct StagedChecksumTests {
    private func checksum(_ bytes: [UInt8]) -> StagedChecksum {
        bytes.withUnsafeBytes { StagedChecksum(bytes: $0) }
    }

    /// Two whole leaves and a partial one whose length is not a multiple of 32.
    private let segment: [UInt8] = (0..<(2 * StagedChecksum.leafSize + 777)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }

    @Test func everySingleBitFlipChangesIt() {
        let original = checksum(segment)
        for position in [0, 7, 31, 32, 4096, 524_287, StagedChecksum.leafSize, 2 * StagedChecksum.leafSize + 770, segment.count - 1] {
            for bit in [0, 3, 7] {
                var damaged = segment
                damaged[position] ^= 1 << bit
                #expect(checksum(damaged) != original, "flip of bit \(bit) at \(position) went unnoticed")
            }
        }
    }

    @Test func truncationAndSwappedBlocksChangeIt() {
        let original = checksum(segment)
        #expect(checksum(Array(segment.dropLast())) != original)
        #expect(checksum(Array(segment.dropLast(32))) != original)
        // Two 32-byte blocks swapped: each lane sees the same words in another order.
        var swapped = segment
        swapped.replaceSubrange(0..<32, with: segment[32..<64])
        swapped.replaceSubrange(32..<64, with: segment[0..<32])
        #expect(checksum(swapped) != original)
        // Two different leaves swapped (the pattern repeats within a leaf, so one byte tells them apart).
        let leaf = StagedChecksum.leafSize
        var varied = segment
        varied[leaf + 100] ^= 0xFF
        let leavesSwapped = Array(varied[leaf..<2 * leaf] + varied[0..<leaf] + varied[(2 * leaf)...])
        #expect(checksum(leavesSwapped) != checksum(varied))
        #expect(checksum([UInt8](repeating: 0, count: 64)) != checksum([UInt8](repeating: 0, count: 65)))
    }

    @Test func piecesOfAnySizeGiveTheChecksumOfTheWhole() throws {
        for sizes in [[1 << 16], [31, 1, 32, 33, 65_536], [5, 64, 3, 1000, 7, 1 << 20], [100_000, 500_000], [1 << 20]] {
            var accumulator = StagedChecksum.Accumulator()
            var offset = 0
            segment.withUnsafeBytes { bytes in
                var piece = 0
                while offset < bytes.count {
                    let end = min(offset + sizes[piece % sizes.count], bytes.count)
                    accumulator.add(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
                    offset = end
                    piece += 1
                }
            }
            #expect(accumulator.checksum == checksum(segment), "pieces \(sizes)")
        }
    }

    @Test func theSinkWritesEveryByteAndChecksumsThem() throws {
        let fake = try FakeDataDirectory()
        let path = fake.wal + "/written"
        let sink = StagedChecksum.Sink(try SystemFile.createExclusive(path, mode: 0o600))
        try segment.withUnsafeBytes { bytes in
            for start in stride(from: 0, to: bytes.count, by: 65_537) {
                try sink.write(UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + 65_537, bytes.count)]))
            }
        }
        #expect(try FileSystem.readFile(path) == segment)
        #expect(sink.checksum == checksum(segment))
        #expect(try StagedChecksum(file: SystemFile.openForReading(path)) == sink.checksum)
    }

    @Test func aFileAndItsBytesAgreeAndTheTextIsSixteenDigits() throws {
        let fake = try FakeDataDirectory()
        let path = fake.wal + "/checksummed"
        // Split over two threads or not, at every leaf count from none to four.
        for count in [0, 100, StagedChecksum.leafSize, StagedChecksum.leafSize + 1, 2 * StagedChecksum.leafSize, 4 * StagedChecksum.leafSize - 5] {
            let bytes = Array((segment + segment)[0..<count])
            try FileSystem.remove(path)
            try fake.write(path, bytes)
            #expect(try StagedChecksum(file: SystemFile.openForReading(path)) == checksum(bytes), "\(count) bytes")
            #expect(try StagedChecksum(file: SystemFile.openForReading(path), onTwoThreads: false) == checksum(bytes), "\(count) bytes, one thread")
        }
        try FileSystem.remove(path)
        try fake.write(path, segment)
        let fromFile = try StagedChecksum(file: SystemFile.openForReading(path))
        #expect(fromFile == checksum(segment))
        #expect(fromFile.text.count == 16)
        #expect(checksum([]).text.count == 16)
    }
}

