import PITRBackup

/// What each file of an incremental backup still needs from older backups, by its path in backup_manifest
/// (`pg_tblspc/OID/...` in a tablespace). The newest backup's INCREMENTAL entries fill it (`begin`); each older
/// backup then gives the blocks it holds and takes them off (`IncrementalFill`, `WholeFileFill`), until a whole
/// file in an older backup ends the search or no older backup is left (what is still missing stays zeros, as
/// pg_combinebackup leaves it). Kept as ranges of blocks, so memory grows with files and gaps, not with blocks; a file
/// takes about 130 bytes (its folder is kept once, its name inline, its usual single range without an allocation).
final class RebuildNeeds {
    struct File {
        /// Which archive's folder the file lies in (the index of its `ExtractionTree`; the path less its prefix is the path there).
        let tree: UInt16
        /// The index in the chain of the last backup that held the file (whole or incremental).
        var seenIn: UInt16
        /// The newest incremental's truncation block length: blocks at or past it never come from older backups.
        let truncation: UInt32
        /// The blocks below `truncation` that no newer backup held.
        var missing: BlockRanges
    }

    /// A file's path as its folder's index in `folders` and its name (short enough to be kept inline); what an older
    /// backup's pass holds while it reads an entry, so that each block costs one lookup.
    struct Key: Hashable {
        let folder: UInt32
        let name: String
    }

    private var files: [Key: File] = [:]
    private var folders: [String] = []
    private var folderIndex: [String: UInt32] = [:]

    var isEmpty: Bool { files.isEmpty }
    var count: Int { files.count }

    /// The key of `path`; nil for a folder never recorded.
    func key(_ path: String) -> Key? {
        let (folder, name) = Self.split(path)
        return folderIndex[folder].map { Key(folder: $0, name: name) }
    }

    /// The key of `path`, its folder recorded when new.
    func key(adding path: String) -> Key {
        if let key = key(path) { return key }
        let (folder, name) = Self.split(path)
        folders.append(folder)
        folderIndex[folder] = UInt32(folders.count - 1)
        return Key(folder: UInt32(folders.count - 1), name: name)
    }

    private static func split(_ path: String) -> (folder: String, name: String) {
        let slash = path.lastIndex(of: "/")
        return (slash.map { String(path[..<$0]) } ?? "", String(slash.map { path[path.index(after: $0)...] } ?? path[...]))
    }

    private func path(_ key: Key) -> String {
        folders[Int(key.folder)].isEmpty ? key.name : folders[Int(key.folder)] + "/" + key.name
    }

    /// Whether an `INCREMENTAL.` name in the folder at `components` (relative to its archive's root) is an
    /// incremental file: only below base/<database>/, in global/, and in tablespaces, as pg_combinebackup decides,
    /// so that a user's file named INCREMENTAL.something elsewhere is restored as it is.
    static func isIncrementalFolder(_ folder: [String], inTablespace: Bool) -> Bool {
        inTablespace || (folder.first == "base" && folder.count >= 2) || folder == ["global"] || (folder.first == "pg_tblspc" && folder.count >= 2)
    }

    /// Records one INCREMENTAL entry of the newest backup for the file at `path`. Several entries of one file must
    /// agree on the truncation block length. Throws `RestoreError.corruptArchive` naming `archive` when they do not.
    func begin(_ path: String, tree: Int, header: IncrementalFileHeader, archive: String) throws {
        let key = key(adding: path)
        if var file = files[key] {
            guard file.truncation == header.truncationBlockLength else {
                throw RestoreError.corruptArchive(archive: archive, reason: "its incremental entries for \(path) disagree on its truncation length (\(file.truncation) and \(header.truncationBlockLength) blocks)")
            }
            file.missing.remove(header.blocks)
            files[key] = file
        } else {
            var missing = BlockRanges(0..<header.truncationBlockLength)
            missing.remove(header.blocks)
            files[key] = File(tree: UInt16(tree), seenIn: 0, truncation: header.truncationBlockLength, missing: missing)
        }
    }

    /// Whether the newest backup already began the file at `path`.
    func contains(_ path: String) -> Bool { key(path).map { files[$0] != nil } ?? false }

    /// Forgets the files that need nothing more; the newest backup's pass is over.
    func dropComplete() {
        files = files.filter { !$0.value.missing.isEmpty }
    }

    /// The file at `path` and its key if it still needs blocks; marks it seen in backup `index` of the chain.
    func needing(_ path: String, seenIn index: Int) -> (key: Key, file: File)? {
        guard let key = key(path), files[key] != nil else { return nil }
        files[key]?.seenIn = UInt16(index)
        return files[key].map { (key, $0) }
    }

    /// Whether the file still needs `block`; if so, takes it off: the caller writes it.
    func take(_ key: Key, _ block: UInt32) -> Bool {
        guard files[key]?.missing.contains(block) == true else { return false }
        files[key]?.missing.remove(block)
        if files[key]?.missing.isEmpty == true { files[key] = nil }
        return true
    }

    /// The file was found whole: the search for its blocks ends.
    func ended(_ key: Key) { files[key] = nil }

    /// Whether any file of archive folder `tree` still needs blocks.
    func needsAny(inTree tree: Int) -> Bool { files.values.contains { $0.tree == tree } }

    /// A file still needing blocks that backup `index` of the chain did not hold; pg_combinebackup refuses such a chain.
    func firstUnseen(in index: Int) -> String? {
        files.filter { $0.value.seenIn < index }.keys.map(path).min()
    }
}
