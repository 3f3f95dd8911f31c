import PITRSupport

/// backup_manifest's files as a compact table (`PathTable`): 24 bytes, the path and the checksum per file (100,000
/// files: about 5 MB), where a dictionary of strings and arrays took several times that.
struct ManifestFiles: Equatable {
    private struct Entry {
        let size: Int64
        let checksumStart: UInt32
        let checksumCount: UInt8
        let algorithm: BackupManifest.ChecksumAlgorithm
    }

    private var table = PathTable<Entry>()
    private var checksums: [UInt8] = []
    /// The algorithms of the files listed.
    private(set) var algorithms: Set<BackupManifest.ChecksumAlgorithm> = []

    var count: Int { table.count }

    /// Adds a file; `sort` must follow before any lookup. False when the manifest's paths or checksums pass 4 GiB.
    mutating func append(path: some Collection<UInt8>, _ file: BackupManifest.File) -> Bool {
        guard checksums.count + file.checksum.count <= UInt32.max, file.checksum.count <= UInt8.max,
              table.append(path, Entry(size: Int64(file.size), checksumStart: UInt32(checksums.count), checksumCount: UInt8(file.checksum.count),
                                       algorithm: file.algorithm)) else {
            return false
        }
        checksums.append(contentsOf: file.checksum)
        algorithms.insert(file.algorithm)
        return true
    }

    /// Sorts the files by path; returns a path listed twice, if any.
    mutating func sort() -> String? { table.sort() }

    /// The index of `path` in the sorted table; nil when it is not listed.
    func index(of path: String) -> Int? { table.index(of: path) }

    /// The path of the file at `index` (of the sorted table).
    func path(at index: Int) -> String { table.path(at: index) }

    /// The file at `index` (of the sorted table).
    subscript(index: Int) -> BackupManifest.File {
        let entry = table.value(at: index)
        let start = Int(entry.checksumStart)
        return BackupManifest.File(size: Int(entry.size), algorithm: entry.algorithm, checksum: Array(checksums[start..<start + Int(entry.checksumCount)]))
    }

    /// The file listed at `path`; nil when it is not listed.
    subscript(path: String) -> BackupManifest.File? {
        index(of: path).map { self[$0] }
    }

    static func == (left: ManifestFiles, right: ManifestFiles) -> Bool {
        left.count == right.count && (0..<left.count).allSatisfy { left.path(at: $0) == right.path(at: $0) && left[$0] == right[$0] }
    }
}
