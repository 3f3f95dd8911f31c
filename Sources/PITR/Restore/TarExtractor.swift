import PITRBackup
import PITRSupport

/// Writes a tar stream, as it arrives, into a directory: the ustar subset PostgreSQL's
/// BASE_BACKUP writes (regular files, directories, symlinks for pg_tblspc; 512-byte blocks; two
/// zero blocks at the end). Nothing is staged: each block goes straight into its file.
///
/// Never writes outside `root` (`ExtractionTree`: by descriptor, no absolute path, no `..`, nothing
/// under a symlink); a symlink other than those of `linkTargets` is refused. Files are created
/// exclusively (a duplicate entry is refused) and handed to `owner` when running as root. Modes are
/// PostgreSQL's, not the archive's: files 0600 and folders 0700, or 0640 and 0750 when the archive's
/// first entry shows group access (as PostgreSQL derives its create modes from the data directory's).
/// Pieces of one archive are written to the same extractor in order. With a `ManifestCheck`, each
/// file's bytes are checked against backup_manifest as they are written, and a file it does not list
/// is refused. A `takeover` writes the entries it claims its own way (an incremental backup's
/// INCREMENTAL.* files and backup_label, `IncrementalEntries`).
final class TarExtractor: ByteSink, TarEntryHandler {
    /// Names the archive in errors, such as the object of its first piece.
    let archive: String
    /// Where the archive is written.
    let tree: ExtractionTree
    var root: OpenDirectory { tree.root }
    /// The symlinks the archive may hold (path inside the archive, such as "pg_tblspc/16385")
    /// and the target written for each: the tablespace's location, or its `--tablespace-map` one.
    let linkTargets: [String: String]
    /// Checks each file against backup_manifest as it is written; nil checks nothing.
    let manifestCheck: ManifestCheck?
    /// Where the archive's paths lie in the manifest: "" for the data directory, "pg_tblspc/OID/" for a tablespace.
    let manifestPrefix: String
    /// Writes the file entries it claims; nil writes every entry as it is.
    var takeover: EntryTakeover?

    var sawGroupAccess: Bool { tree.groupAccess == true }
    private(set) var fileCount = 0
    private(set) var contentBytes = 0

    private lazy var parser = TarParser(archive: archive, handler: self)
    private var current: SystemFile?
    private var taken: EntryWriter?
    /// The file being written, by its manifest path, with its running checksum; nil when not checked.
    private var checked: (path: String, size: Int, checksum: RunningChecksum)?

    init(archive: String, root: OpenDirectory, owner: FileOwner, linkTargets: [String: String] = [:],
         manifestCheck: ManifestCheck? = nil, manifestPrefix: String = "") {
        self.archive = archive
        self.tree = ExtractionTree(archive: archive, root: root, owner: owner)
        self.linkTargets = linkTargets
        self.manifestCheck = manifestCheck
        self.manifestPrefix = manifestPrefix
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try RestoreError.mappingTarErrors(archive: archive) { try parser.write(bytes) }
    }

    func entryData(_ chunk: UnsafeRawBufferPointer) throws {
        if let taken {
            try taken.write(chunk)
        } else {
            try current?.write(chunk)
            contentBytes += chunk.count
        }
        try checked?.checksum.update(chunk)
    }

    func endEntry() throws {
        current = nil
        try taken?.finish()
        taken = nil
        try finishChecked()
    }

    /// Compares the file just written with the manifest.
    private func finishChecked() throws {
        guard var file = checked, let check = manifestCheck else { return }
        checked = nil
        try check.finish(file.path, size: file.size, checksum: &file.checksum)
    }

    /// Throws unless the stream ended exactly with the end-of-archive blocks.
    func finish() throws {
        current = nil
        try RestoreError.mappingTarErrors(archive: archive) { try parser.finish() }
    }

    /// fsyncs every file, then every directory deepest first, each reopened by descriptor.
    func sync() throws {
        try tree.sync()
    }

    func beginEntry(_ header: TarHeader) throws {
        let components = try tree.safeComponents(header.name)
        let relative = components.joined(separator: "/")
        // Symlinks carry 0777 whatever the cluster's mode.
        if tree.groupAccess == nil, header.kind == .file || header.kind == .directory { tree.groupAccess = header.mode & 0o070 != 0 }
        switch header.kind {
        case .directory:
            try tree.makeDirectory(components)
        case .file:
            if let claim = try takeover?.claim(components, size: header.size) {
                if let path = claim.checkedAs { try startChecked(manifestPrefix + path, size: header.size) }
                taken = claim.writer
                return
            }
            // Before anything is created: a file the manifest does not list is refused.
            try startChecked(manifestPrefix + relative, size: header.size)
            let file = try tree.createFile(components, entry: header.name)
            fileCount += 1
            current = header.size > 0 ? file : nil
        case .symlink:
            guard let target = linkTargets[relative], !components.isEmpty else {
                throw RestoreError.unsafeEntry(archive: archive, entry: header.name, reason: "a symlink that is not a tablespace of the backup")
            }
            try tree.makeSymlink(components, to: target)
        }
    }

    /// Starts checking the file at manifest path `path` (nothing for an ignored one); an empty one is finished at once.
    private func startChecked(_ path: String, size: Int) throws {
        guard let check = manifestCheck, var checksum = try check.start(path) else { return }
        if size == 0 {
            try check.finish(path, size: 0, checksum: &checksum)
        } else {
            checked = (path, size, checksum)
        }
    }
}
