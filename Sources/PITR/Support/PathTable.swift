/// Paths with a fixed-size value each, for tables of 100,000 files: the paths in one byte arena, the records
/// (where the path lies, the value) in one array sorted by path, a lookup a binary search. A dictionary of `String`
/// keys takes several times the memory (an allocation a path, the hash table's slack).
package struct PathTable<Value> {
    private var records: [(start: UInt32, count: UInt32, value: Value)] = []
    private var arena: [UInt8] = []

    package init() {}

    package var count: Int { records.count }

    /// Adds a path; `sort` must follow before any lookup. False when the arena would pass 4 GiB.
    package mutating func append(_ path: some Collection<UInt8>, _ value: Value) -> Bool {
        guard arena.count + path.count <= UInt32.max else { return false }
        records.append((UInt32(arena.count), UInt32(path.count), value))
        arena.append(contentsOf: path)
        return true
    }

    /// Sorts the records by path (byte order); returns a path added twice, if any.
    package mutating func sort() -> String? {
        arena.withUnsafeBufferPointer { arena in
            records.sort { Self.compare(Self.slice(arena, $0.start, $0.count), Self.slice(arena, $1.start, $1.count)) < 0 }
        }
        return records.indices.dropFirst().first { path(at: $0 - 1) == path(at: $0) }.map(path(at:))
    }

    /// The index of `path` in the sorted table; nil when it is not there.
    package func index(of path: String) -> Int? {
        var key = path
        return key.withUTF8 { wanted in
            arena.withUnsafeBufferPointer { arena in
                var low = 0, high = records.count
                while low < high {
                    let middle = (low + high) / 2
                    let order = Self.compare(Self.slice(arena, records[middle].start, records[middle].count), wanted)
                    if order == 0 { return middle }
                    if order < 0 { low = middle + 1 } else { high = middle }
                }
                return nil
            }
        }
    }

    /// The path at `index` (of the sorted table).
    package func path(at index: Int) -> String {
        let record = records[index]
        return String(decoding: arena[Int(record.start)..<Int(record.start + record.count)], as: UTF8.self)
    }

    /// The value at `index` (of the sorted table).
    package func value(at index: Int) -> Value { records[index].value }

    private static func slice(_ arena: UnsafeBufferPointer<UInt8>, _ start: UInt32, _ count: UInt32) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: arena[Int(start)..<Int(start + count)])
    }

    /// Byte order, a prefix first.
    private static func compare(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(left.count, right.count)
        if common > 0, let a = left.baseAddress, let b = right.baseAddress {
            let order = memcmp(a, b, common)
            if order != 0 { return Int(order) }
        }
        return left.count - right.count
    }
}
