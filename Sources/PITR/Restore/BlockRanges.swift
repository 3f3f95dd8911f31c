/// A set of block numbers kept as sorted, disjoint, non-adjacent ranges: what a rebuilt file still needs from older
/// backups. Its size grows with the number of gaps, never with the number of blocks; the usual single range (or
/// none) takes no allocation.
struct BlockRanges: Equatable {
    private enum Storage: Equatable {
        case one(Range<UInt32>)
        /// None, or two and more.
        case many([Range<UInt32>])
    }

    private var storage: Storage

    /// Sorted, disjoint and non-adjacent, none empty.
    private(set) var ranges: [Range<UInt32>] {
        get {
            switch storage {
            case .one(let range): [range]
            case .many(let ranges): ranges
            }
        }
        set { storage = newValue.count == 1 ? .one(newValue[0]) : .many(newValue) }
    }

    init(_ range: Range<UInt32> = 0..<0) {
        storage = range.isEmpty ? .many([]) : .one(range)
    }

    var isEmpty: Bool { storage == .many([]) }
    /// How many blocks the set holds.
    var count: Int { ranges.reduce(0) { $0 + $1.count } }

    /// The index of the range of `ranges` holding `block`, or where one holding it would be inserted.
    private static func index(of block: UInt32, in ranges: [Range<UInt32>]) -> Int {
        var low = 0, high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound <= block { low = middle + 1 } else { high = middle }
        }
        return low
    }

    func contains(_ block: UInt32) -> Bool {
        if case .one(let range) = storage { return range.contains(block) }
        let ranges = ranges
        let at = Self.index(of: block, in: ranges)
        return at < ranges.count && ranges[at].contains(block)
    }

    /// Removes `block`, splitting its range when it lies inside.
    mutating func remove(_ block: UInt32) {
        var ranges = ranges
        storage = .many([])  // the array alone holds the ranges, so it changes in place
        defer { self.ranges = ranges }
        let at = Self.index(of: block, in: ranges)
        guard at < ranges.count, ranges[at].contains(block) else { return }
        let range = ranges[at]
        let before = range.lowerBound..<block, after = (block + 1)..<range.upperBound
        ranges.replaceSubrange(at...at, with: [before, after].filter { !$0.isEmpty })
    }

    /// Removes every block of `blocks` (any order, repeats allowed).
    mutating func remove(_ blocks: [UInt32]) {
        let ranges = ranges
        guard !ranges.isEmpty, !blocks.isEmpty else { return }
        var rest: [Range<UInt32>] = []
        var cursor = 0
        var current = ranges[0]
        for block in blocks.sorted() {
            while block >= current.upperBound {
                if !current.isEmpty { rest.append(current) }
                cursor += 1
                guard cursor < ranges.count else { self.ranges = rest; return }
                current = ranges[cursor]
            }
            guard block >= current.lowerBound else { continue }
            if block > current.lowerBound { rest.append(current.lowerBound..<block) }
            current = (block + 1)..<current.upperBound
        }
        if !current.isEmpty { rest.append(current) }
        rest += ranges[(cursor + 1)...]
        self.ranges = rest
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
