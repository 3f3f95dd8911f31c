/// A set of block numbers kept as sorted, disjoint, non-adjacent ranges: what a rebuilt file still needs from older
/// backups. Its size grows with the number of gaps, never with the number of blocks.
struct BlockRanges: Equatable {
    /// Sorted, disjoint and non-adjacent, none empty.
    private(set) var ranges: [Range<UInt32>]

    init(_ range: Range<UInt32> = 0..<0) {
        ranges = range.isEmpty ? [] : [range]
    }

    var isEmpty: Bool { ranges.isEmpty }
    /// How many blocks the set holds.
    var count: Int { ranges.reduce(0) { $0 + $1.count } }

    /// The index of the range holding `block`, or where one holding it would be inserted.
    private func index(of block: UInt32) -> Int {
        var low = 0, high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound <= block { low = middle + 1 } else { high = middle }
        }
        return low
    }

    func contains(_ block: UInt32) -> Bool {
        let at = index(of: block)
        return at < ranges.count && ranges[at].contains(block)
    }

    /// Removes `block`, splitting its range when it lies inside.
    mutating func remove(_ block: UInt32) {
        let at = index(of: block)
        guard at < ranges.count, ranges[at].contains(block) else { return }
        let range = ranges[at]
        let before = range.lowerBound..<block, after = (block + 1)..<range.upperBound
        ranges.replaceSubrange(at...at, with: [before, after].filter { !$0.isEmpty })
    }

    /// Removes every block of `blocks` (any order, repeats allowed).
    mutating func remove(_ blocks: [UInt32]) {
        guard !ranges.isEmpty else { return }
        var rest: [Range<UInt32>] = []
        var cursor = 0
        var current = ranges[0]
        for block in blocks.sorted() {
            while block >= current.upperBound {
                if !current.isEmpty { rest.append(current) }
                cursor += 1
                guard cursor < ranges.count else { ranges = rest; return }
                current = ranges[cursor]
            }
            guard block >= current.lowerBound else { continue }
            if block > current.lowerBound { rest.append(current.lowerBound..<block) }
            current = (block + 1)..<current.upperBound
        }
        if !current.isEmpty { rest.append(current) }
        rest += ranges[(cursor + 1)...]
        ranges = rest
    }

    /// The blocks below `limit`.
    func below(_ limit: UInt32) -> BlockRanges {
        var result = BlockRanges()
        result.ranges = ranges.compactMap { range in
            range.lowerBound < limit ? range.lowerBound..<min(range.upperBound, limit) : nil
        }
        return result
    }
}
