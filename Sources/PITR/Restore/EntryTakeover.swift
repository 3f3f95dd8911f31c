/// Writes, in place of `TarExtractor`, the file entries of an archive it claims: an incremental backup's
/// INCREMENTAL.* files and backup_label are not written as they are (`IncrementalEntries`).
protocol EntryTakeover: AnyObject {
    /// The writer of the file entry at `components` (safe, relative to the archive's root) of `size` bytes, and the
    /// path (in the archive) under which the manifest lists its bytes as they are; nil leaves the entry to the extractor.
    func claim(_ components: [String], size: Int) throws -> EntryClaim?
}

struct EntryClaim {
    let writer: EntryWriter
    /// The entry's path in the archive to check its bytes against backup_manifest under; nil when the manifest lists
    /// only what the entry becomes.
    let checkedAs: String?
}

/// Takes a claimed entry's bytes as they arrive, then `finish` once they all came.
protocol EntryWriter: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func finish() throws
}
