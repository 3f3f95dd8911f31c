import PITRSupport

/// backup_manifest's files as a compact table: fixed-size records sorted by path, the paths and checksums in two byte
/// arenas. 24 bytes, the path and the checksum per file (100,000 files: about 6 MB), where a dictionary of
/// strings and arrays took several times that; a lookup is a binary search.
struct ManifestFiles: Equatable {
    /// 24 bytes.
    private struct Record {
        let size: Int64
        let pathStart: UInt32
        let pathCount: UInt32
        let checksumStart: UInt32
        let checksumCount: UInt8
        let algorithm: BackupManifest.ChecksumAlgorithm
    }

    private var records: [Record] = []
    private var paths: [UInt8] = []
    private var checksums: [UInt8] = []
    /// The algorithms of the files listed.
    private(set) var algorithms: Set<BackupManifest.ChecksumAlgorithm> = []

    var count: Int { records.count }

    /// Adds a file; `sort` must follow before any lookup. Nil when the arenas would pass 4 GiB.
    mutating func append(path: some Collection<UInt8>, _ file: BackupManifest.File) -> Bool {
        guard paths.count + path.count <= UInt32.max, checksums.count + file.checksum.count <= UInt32.max, file.checksum.count <= UInt8.max else {
            return false
        }
        records.append(Record(size: Int64(file.size), pathStart: UInt32(paths.count), pathCount: UInt32(path.count),
                              checksumStart: UInt32(checksums.count), checksumCount: UInt8(file.checksum.count), algorithm: file.algorithm))
        paths.append(contentsOf: path)
        checksums.append(contentsOf: file.checksum)
        algorithms.insert(file.algorithm)
        return true
    }

    /// Sorts the records by path; returns a path listed twice, if any.
    mutating func sort() -> String? {
        paths.withUnsafeBufferPointer { arena in
            records.sort { Self.compare(arena, $0, $1) < 0 }
        }
        return paths.withUnsafeBufferPointer { arena in
            records.indices.dropFirst().first { Self.compare(arena, records[$0 - 1], records[$0]) == 0 }.map(path(at:))
        }
    }

    /// The index of `path` in the sorted table; nil when it is not listed.
    func index(of path: String) -> Int? {
        var key = path
        return key.withUTF8 { wanted in
            paths.withUnsafeBufferPointer { arena in
                var low = 0, high = records.count
                while low < high {
                    let middle = (low + high) / 2
                    let order = Self.compare(UnsafeBufferPointer(rebasing: arena[Self.range(records[middle])]), wanted)
                    if order == 0 { return middle }
                    if order < 0 { low = middle + 1 } else { high = middle }
                }
                return nil
            }
        }
    }

    /// The path of the file at `index` (of the sorted table).
    func path(at index: Int) -> String {
        String(decoding: paths[Self.range(records[index])], as: UTF8.self)
    }

    /// The file at `index` (of the sorted table).
    subscript(index: Int) -> BackupManifest.File {
        let record = records[index]
        let start = Int(record.checksumStart)
        return BackupManifest.File(size: Int(record.size), algorithm: record.algorithm,
                                   checksum: Array(checksums[start..<start + Int(record.checksumCount)]))
    }

    /// The file listed at `path`; nil when it is not listed.
    subscript(path: String) -> BackupManifest.File? {
        index(of: path).map { self[$0] }
    }

    static func == (left: ManifestFiles, right: ManifestFiles) -> Bool {
        left.count == right.count && left.records.indices.allSatisfy {
            left.paths[range(left.records[$0])] == right.paths[range(right.records[$0])] && left[$0] == right[$0]
        }
    }

    private static func range(_ record: Record) -> Range<Int> {
        Int(record.pathStart)..<Int(record.pathStart + record.pathCount)
    }

    private static func compare(_ arena: UnsafeBufferPointer<UInt8>, _ left: Record, _ right: Record) -> Int {
        compare(UnsafeBufferPointer(rebasing: arena[range(left)]), UnsafeBufferPointer(rebasing: arena[range(right)]))
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
