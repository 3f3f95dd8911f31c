/// The CRC-32C of every file a chain's rebuild writes, kept as it writes them (`PiecewiseCRC32C`), by the file's key in
/// `RebuildNeeds`: so that the rebuilt files are checked against the stored manifest (the block-compare way), or
/// listed in the new one (the server-side way), without being read back. About 60 bytes a file once it is whole.
final class RebuiltChecksums {
    private let needs: RebuildNeeds
    private var files: [RebuildNeeds.Key: PiecewiseCRC32C] = [:]

    init(needs: RebuildNeeds) { self.needs = needs }

    /// Records `bytes` written at `offset` into the file `key`.
    func add(_ key: RebuildNeeds.Key, _ bytes: UnsafeRawBufferPointer, at offset: Int) {
        files[key, default: PiecewiseCRC32C()].add(bytes, at: offset)
    }

    /// The CRC-32C of the rebuilt file at `path` (its path in backup_manifest), `length` bytes long; nil for a file
    /// the rebuild did not write, or whose writes do not account for it.
    func value(_ path: String, length: Int) -> UInt32? {
        needs.key(path).flatMap { files[$0] }?.value(length: length)
    }
}
