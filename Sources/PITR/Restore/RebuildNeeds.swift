import PITRBackup

/// What each file of an incremental backup still needs from older backups, by its path in backup_manifest
/// (`pg_tblspc/OID/...` in a tablespace). The newest backup's INCREMENTAL entries fill it (`begin`); each older
/// backup then gives the blocks it holds and takes them off (`IncrementalFill`, `WholeFileFill`), until a whole
/// file in an older backup ends the search or no older backup is left (what is still missing stays zeros, as
/// pg_combinebackup leaves it). Kept as ranges of blocks, so memory grows with files and gaps, not with blocks.
final class RebuildNeeds {
    struct File {
        /// Which archive's folder the file lies in (the index of its `ExtractionTree`).
        let tree: Int
        /// Its path in that folder, as components.
        let components: [String]
        /// The newest incremental's truncation block length: blocks at or past it never come from older backups.
        let truncation: UInt32
        /// The blocks below `truncation` that no newer backup held.
        var missing: BlockRanges
        /// The index in the chain of the last backup that held the file (whole or incremental).
        var seenIn: Int
    }

    private(set) var files: [String: File] = [:]

    var isEmpty: Bool { files.isEmpty }

    /// Whether an `INCREMENTAL.` name in the folder at `components` (relative to its archive's root) is an
    /// incremental file: only below base/<database>/, in global/, and in tablespaces, as pg_combinebackup decides,
    /// so that a user's file named INCREMENTAL.something elsewhere is restored as it is.
    static func isIncrementalFolder(_ folder: [String], inTablespace: Bool) -> Bool {
        inTablespace || (folder.first == "base" && folder.count >= 2) || folder == ["global"] || (folder.first == "pg_tblspc" && folder.count >= 2)
    }

    /// Records one INCREMENTAL entry of the newest backup for the file at `key`. Several entries of one file must
    /// agree on the truncation block length. Throws `RestoreError.corruptArchive` naming `archive` when they do not.
    func begin(_ key: String, tree: Int, components: [String], header: IncrementalFileHeader, archive: String) throws {
        if var file = files[key] {
            guard file.truncation == header.truncationBlockLength else {
                throw RestoreError.corruptArchive(archive: archive, reason: "its incremental entries for \(key) disagree on its truncation length (\(file.truncation) and \(header.truncationBlockLength) blocks)")
            }
            file.missing.remove(header.blocks)
            files[key] = file
        } else {
            var missing = BlockRanges(0..<header.truncationBlockLength)
            missing.remove(header.blocks)
            files[key] = File(tree: tree, components: components, truncation: header.truncationBlockLength, missing: missing, seenIn: 0)
        }
    }

    /// Whether the newest backup already began the file at `key`.
    func contains(_ key: String) -> Bool { files[key] != nil }

    /// Forgets the files that need nothing more; the newest backup's pass is over.
    func dropComplete() {
        files = files.filter { !$0.value.missing.isEmpty }
    }

    /// The file at `key` if it still needs blocks; marks it seen in backup `index` of the chain.
    func needing(_ key: String, seenIn index: Int) -> File? {
        guard files[key] != nil else { return nil }
        files[key]?.seenIn = index
        return files[key]
    }

    /// Whether the file at `key` still needs `block`.
    func needs(_ key: String, _ block: UInt32) -> Bool { files[key]?.missing.contains(block) ?? false }

    /// `block` of the file at `key` was written.
    func found(_ key: String, _ block: UInt32) {
        files[key]?.missing.remove(block)
        if files[key]?.missing.isEmpty == true { files[key] = nil }
    }

    /// The file at `key` was found whole: the search for its blocks ends.
    func ended(_ key: String) { files[key] = nil }

    /// Whether any file of archive folder `tree` still needs blocks.
    func needsAny(inTree tree: Int) -> Bool { files.values.contains { $0.tree == tree } }

    /// A file still needing blocks that backup `index` of the chain did not hold; pg_combinebackup refuses such a chain.
    func firstUnseen(in index: Int) -> String? {
        files.filter { $0.value.seenIn < index }.keys.min()
    }
}
