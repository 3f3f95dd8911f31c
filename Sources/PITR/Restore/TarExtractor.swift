import PITRBackup
import PITRSupport

/// Writes a tar stream, as it arrives, into a directory: the ustar subset PostgreSQL's
/// BASE_BACKUP writes (regular files, directories, symlinks for pg_tblspc; 512-byte blocks; two
/// zero blocks at the end). Nothing is staged: each block goes straight into its file.
///
/// Never writes outside `root`: an absolute path, a `..` component, a path under a symlink
/// this archive made, or a symlink other than those of `linkTargets` is refused. Everything is done
/// by descriptor from `root` (`OpenDirectory`), so the owner, who may write in the directory while
/// root extracts into it, cannot steer a single call out of it with a symlink: a symlink or foreign
/// folder met on the way is refused. Files are created exclusively (a duplicate entry is refused)
/// and handed to `owner` when running as root. Modes are PostgreSQL's, not the archive's: files
/// 0600 and folders 0700, or 0640 and 0750 when the archive's first entry shows group access (as
/// PostgreSQL derives its create modes from the data directory's). Pieces of one archive are
/// written to the same extractor in order. With a `ManifestCheck`, each file's bytes are checked
/// against backup_manifest as they are written, and a file it does not list is refused.
final class TarExtractor: ByteSink, TarEntryHandler {
    /// Names the archive in errors, such as the object of its first piece.
    let archive: String
    let root: OpenDirectory
    let owner: FileOwner
    /// The symlinks the archive may hold (path inside the archive, such as "pg_tblspc/16385")
    /// and the target written for each: the tablespace's location, or its `--tablespace-map` one.
    let linkTargets: [String: String]
    /// Checks each file against backup_manifest as it is written; nil checks nothing.
    let manifestCheck: ManifestCheck?
    /// Where the archive's paths lie in the manifest: "" for the data directory, "pg_tblspc/OID/" for a tablespace.
    let manifestPrefix: String

    /// Relative paths of the files and directories created, in creation order, for `sync`.
    private(set) var created: [String] = []
    /// Whether the cluster was initialized with --allow-group-access, judged by the archive's first
    /// file or directory (BASE_BACKUP sends backup_label with the server's file mode); nil before it.
    private(set) var groupAccess: Bool?
    var sawGroupAccess: Bool { groupAccess == true }
    private(set) var fileCount = 0
    private(set) var contentBytes = 0

    private lazy var parser = TarParser(archive: archive, handler: self)
    private var current: SystemFile?
    /// The file being written, by its manifest path, with its running checksum; nil when not checked.
    private var checked: (path: String, size: Int, checksum: RunningChecksum)?
    private var symlinks: Set<String> = []
    /// The last parent directory used, by relative path: entries come folder by folder.
    private var lastParent: (relative: [String], directory: OpenDirectory)?

    init(archive: String, root: OpenDirectory, owner: FileOwner, linkTargets: [String: String] = [:],
         manifestCheck: ManifestCheck? = nil, manifestPrefix: String = "") {
        self.archive = archive
        self.root = root
        self.owner = owner
        self.linkTargets = linkTargets
        self.manifestCheck = manifestCheck
        self.manifestPrefix = manifestPrefix
    }

    var fileMode: mode_t { groupAccess == true ? 0o640 : 0o600 }
    var directoryMode: mode_t { groupAccess == true ? 0o750 : 0o700 }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try restoreErrors { try parser.write(bytes) }
    }

    func entryData(_ chunk: UnsafeRawBufferPointer) throws {
        try current?.write(chunk)
        try checked?.checksum.update(chunk)
        contentBytes += chunk.count
    }

    func endEntry() throws {
        current = nil
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
        try restoreErrors { try parser.finish() }
    }

    /// The parser's refusals as restore's.
    private func restoreErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch TarFormatError.corrupt(_, let reason) {
            throw RestoreError.corruptArchive(archive: archive, reason: reason)
        } catch TarFormatError.unsupported(_, let entry, let type) {
            throw RestoreError.unsupportedEntry(archive: archive, entry: entry, type: type)
        }
    }

    /// fsyncs every file, then every directory deepest first (as pg_basebackup does after writing),
    /// each reopened by descriptor from `root`.
    func sync() throws {
        for relative in created.reversed() {
            let components = relative.split(separator: "/").map(String.init)
            let parent = try directory(for: Array(components.dropLast()), creating: false)
            let name = components[components.count - 1]
            if let info = parent.status(name), info.st_mode & S_IFMT == S_IFLNK {
                throw RestoreError.unsafeEntry(archive: archive, entry: parent.child(name),
                                               reason: "a symlink stands where the archive's entry was written (another process is changing the target)")
            } else if let info = parent.status(name), info.st_mode & S_IFMT == S_IFDIR {
                try ownedDirectory(parent, name).sync()
            } else {
                try parent.openForReading(name).sync()
            }
        }
    }

    func beginEntry(_ header: TarHeader) throws {
        let components = try safeComponents(header.name)
        let relative = components.joined(separator: "/")
        // Symlinks carry 0777 whatever the cluster's mode.
        if groupAccess == nil, header.kind == .file || header.kind == .directory { groupAccess = header.mode & 0o070 != 0 }
        switch header.kind {
        case .directory:
            guard let name = components.last else { return }
            let parent = try directory(for: Array(components.dropLast()), creating: true)
            let made = mkdirat(parent.descriptor, name, directoryMode) == 0
            if !made && errno != EEXIST { throw IOError("create directory", parent.child(name)) }
            let directory = try ownedDirectory(parent, name)
            try directory.changeMode(directoryMode)
            if owner.needsHandOver { try directory.changeOwner(uid: owner.uid, gid: owner.gid) }
            if made { created.append(relative) }
        case .file:
            guard let name = components.last else {
                throw RestoreError.unsafeEntry(archive: archive, entry: header.name, reason: "a file without a name")
            }
            let parent = try directory(for: Array(components.dropLast()), creating: true)
            // Before anything is created: a file the manifest does not list is refused.
            if let check = manifestCheck, var checksum = try check.start(manifestPrefix + relative) {
                checked = (manifestPrefix + relative, header.size, checksum)
                if header.size == 0 { try check.finish(manifestPrefix + relative, size: 0, checksum: &checksum) }
            }
            let file = try parent.createFile(name, mode: fileMode)
            // The umask may have narrowed the mode.
            if fchmod(file.descriptor, fileMode) != 0 { throw IOError("change the mode of", file.path) }
            try owner.take(file)
            created.append(relative)
            fileCount += 1
            current = header.size > 0 ? file : nil
            if header.size == 0 { checked = nil }
        case .symlink:
            guard let target = linkTargets[relative], let name = components.last else {
                throw RestoreError.unsafeEntry(archive: archive, entry: header.name, reason: "a symlink that is not a tablespace of the backup")
            }
            let parent = try directory(for: Array(components.dropLast()), creating: true)
            try parent.makeSymlink(name, to: target)
            if owner.needsHandOver { try parent.changeOwner(of: name, uid: owner.uid, gid: owner.gid) }
            symlinks.insert(relative)
        }
    }

    /// The path's components, without empty and "." ones; refuses what could leave `root`.
    private func safeComponents(_ name: String) throws -> [String] {
        if name.hasPrefix("/") {
            throw RestoreError.unsafeEntry(archive: archive, entry: name, reason: "an absolute path")
        }
        let components = name.split(separator: "/").map(String.init).filter { $0 != "." }
        if components.contains("..") {
            throw RestoreError.unsafeEntry(archive: archive, entry: name, reason: "a path with '..'")
        }
        for end in components.indices.dropLast() where symlinks.contains(components[...end].joined(separator: "/")) {
            throw RestoreError.unsafeEntry(archive: archive, entry: name, reason: "a path under a symlink")
        }
        return components
    }

    /// The directory at `components` below `root`, reached by descriptor; with `creating`, missing ones
    /// are made (with the cluster's folder mode, like initdb's) and handed to the owner.
    private func directory(for components: [String], creating: Bool) throws -> OpenDirectory {
        if let last = lastParent, last.relative == components { return last.directory }
        var current = root
        for (index, component) in components.enumerated() {
            if creating && mkdirat(current.descriptor, component, directoryMode) == 0 {
                let made = try ownedDirectory(current, component)
                try made.changeMode(directoryMode)
                if owner.needsHandOver { try made.changeOwner(uid: owner.uid, gid: owner.gid) }
                created.append(components[...index].joined(separator: "/"))
                current = made
            } else if !creating || errno == EEXIST {
                current = try ownedDirectory(current, component)
            } else {
                throw IOError("create directory", current.child(component))
            }
        }
        lastParent = (components, current)
        return current
    }

    /// Opens the directory `name` (never a symlink), which must belong to the owner or to us: a
    /// folder of anyone else moved in under its name is refused, not changed.
    private func ownedDirectory(_ parent: OpenDirectory, _ name: String) throws -> OpenDirectory {
        let directory: OpenDirectory
        do {
            directory = try parent.directory(name)
        } catch let error as IOError where error.code == ELOOP || error.code == ENOTDIR {
            throw RestoreError.unsafeEntry(archive: archive, entry: parent.child(name),
                                           reason: "a symlink or file stands where a folder goes (another process is changing the target)")
        }
        let uid = try directory.status().st_uid
        guard uid == owner.uid || uid == geteuid() else {
            throw RestoreError.unsafeEntry(archive: archive, entry: directory.path,
                                           reason: "the folder there belongs to uid \(uid), neither \(owner.name) nor this process (another process is changing the target)")
        }
        return directory
    }
}
