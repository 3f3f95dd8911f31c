import Testing
@testable import PITRRestore

@Suite struct BlockRangesTests {
    @Test func removesBlocksOneByOneAndSplitsRanges() {
        var ranges = BlockRanges(0..<10)
        ranges.remove(0)
        ranges.remove(5)
        ranges.remove(9)
        ranges.remove(42)
        #expect(ranges.ranges == [1..<5, 6..<9])
        #expect(ranges.count == 7 && ranges.contains(1) && !ranges.contains(5) && ranges.contains(8) && !ranges.contains(9))
    }

    @Test func removesManyBlocksInAnyOrderWithRepeatsAndBlocksPastTheEnd() {
        var ranges = BlockRanges(0..<20)
        ranges.remove([19, 3, 4, 3, 10, 25, 0])
        #expect(ranges.ranges == [1..<3, 5..<10, 11..<19])
        ranges.remove([1, 2, 11])
        #expect(ranges.ranges == [5..<10, 12..<19])
        ranges.remove(Array(0..<30))
        #expect(ranges.isEmpty)
        var empty = BlockRanges()
        empty.remove([1, 2])
        #expect(empty.isEmpty && empty.count == 0)
    }

    /// Checked against a plain set of blocks, over removals a rebuild could make.
    @Test func agreesWithASetOfBlocks() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let length = UInt32.random(in: 0..<300, using: &generator)
            var ranges = BlockRanges(0..<length)
            var blocks = Set(0..<length)
            for _ in 0..<5 {
                let removed = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in UInt32.random(in: 0..<320, using: &generator) }
                if Bool.random(using: &generator) { ranges.remove(removed) } else { removed.forEach { ranges.remove($0) } }
                blocks.subtract(removed)
                #expect(ranges.count == blocks.count)
                #expect((0..<320).allSatisfy { ranges.contains($0) == blocks.contains($0) })
                #expect(zip(ranges.ranges, ranges.ranges.dropFirst()).allSatisfy { $0.upperBound < $1.lowerBound })
                let limit = UInt32.random(in: 0..<320, using: &generator)
                #expect(ranges.below(limit).count == blocks.filter { $0 < limit }.count)
            }
        }
    }
}
