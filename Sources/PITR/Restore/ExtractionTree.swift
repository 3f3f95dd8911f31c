import PITRSupport

/// The folder an archive is written into (the data directory or a tablespace's location), reached only by descriptor
/// from `root` (`OpenDirectory`): the owner, who may write in it while root restores into it, cannot steer a single
/// call out of it with a symlink; a symlink or foreign folder met on the way is refused. What `TarExtractor` and the
/// rebuild of an incremental backup (`ChainRebuild`) share: safe paths (no absolute path, no `..`, nothing under a
/// symlink of the archive), PostgreSQL's modes (files 0600 and folders 0700, or 0640 and 0750 for a cluster with
/// group access), files created exclusively and handed to `owner`, and the sync of everything in it.
final class ExtractionTree {
    /// Names the archive being written in errors, such as the object of its first piece.
    var archive: String
    let root: OpenDirectory
    let owner: FileOwner
    /// Whether the cluster was initialized with --allow-group-access; nil until the archive's first file or directory says.
    var groupAccess: Bool?

    /// The symlinks made (tablespaces'), by relative path: nothing is written under them, and `sync` skips them.
    private var symlinks: Set<String> = []
    /// The last parent directory used, by relative path: entries come folder by folder.
    private var lastParent: (relative: [String], directory: OpenDirectory)?

    init(archive: String, root: OpenDirectory, owner: FileOwner) {
        self.archive = archive
        self.root = root
        self.owner = owner
    }

    var fileMode: mode_t { groupAccess == true ? 0o640 : 0o600 }
    var directoryMode: mode_t { groupAccess == true ? 0o750 : 0o700 }

    /// The path's components, without empty and "." ones; refuses what could leave `root`.
    func safeComponents(_ name: String) throws -> [String] {
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

    /// Makes (or keeps) the directory at `components`, with the cluster's mode, for the owner.
    func makeDirectory(_ components: [String]) throws {
        guard let name = components.last else { return }
        let parent = try directory(for: Array(components.dropLast()), creating: true)
        let made = mkdirat(parent.descriptor, name, directoryMode) == 0
        if !made && errno != EEXIST { throw IOError("create directory", parent.child(name)) }
        let directory = try ownedDirectory(parent, name)
        try directory.changeMode(directoryMode)
        if owner.needsHandOver { try directory.changeOwner(uid: owner.uid, gid: owner.gid) }
    }

    /// Creates the file at `components` (which must not exist) with the cluster's mode, for the owner, open for writing.
    func createFile(_ components: [String], entry: String) throws -> SystemFile {
        guard let name = components.last else {
            throw RestoreError.unsafeEntry(archive: archive, entry: entry, reason: "a file without a name")
        }
        let parent = try directory(for: Array(components.dropLast()), creating: true)
        let file = try parent.createFile(name, mode: fileMode)
        // The umask may have narrowed the mode.
        if fchmod(file.descriptor, fileMode) != 0 { throw IOError("change the mode of", file.path) }
        try owner.take(file)
        return file
    }

    /// Opens the regular file at `components`, which this tree created, for writing in place (never through a symlink).
    func openCreatedFile(_ components: [String]) throws -> SystemFile {
        let parent = try directory(for: Array(components.dropLast()), creating: false)
        return try parent.openForWriting(components[components.count - 1])
    }

    /// Makes the symlink at `components` pointing to `target`, for the owner; nothing is written under it afterwards.
    func makeSymlink(_ components: [String], to target: String) throws {
        guard let name = components.last else { return }
        let parent = try directory(for: Array(components.dropLast()), creating: true)
        try parent.makeSymlink(name, to: target)
        if owner.needsHandOver { try parent.changeOwner(of: name, uid: owner.uid, gid: owner.gid) }
        symlinks.insert(components.joined(separator: "/"))
    }

    /// fsyncs every file, then every directory deepest first (as pg_basebackup does after writing), walking the tree
    /// by descriptor from `root`, so that nothing is held per file. A symlink this tree did not make is refused.
    func sync() throws {
        try sync(root, relative: "")
    }

    private func sync(_ directory: OpenDirectory, relative: String) throws {
        for name in try directory.list() {
            guard let info = directory.status(name) else { continue }
            let path = relative.isEmpty ? name : relative + "/" + name
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                try sync(try ownedDirectory(directory, name), relative: path)
            case S_IFLNK:
                guard symlinks.contains(path) else {
                    throw RestoreError.unsafeEntry(archive: archive, entry: directory.child(name),
                                                   reason: "a symlink stands where the archive's entry was written (another process is changing the target)")
                }
            default:
                try directory.openForReading(name).sync()
            }
        }
        try directory.sync()
    }

    /// The directory at `components` below `root`, reached by descriptor; with `creating`, missing ones
    /// are made (with the cluster's folder mode, like initdb's) and handed to the owner.
    func directory(for components: [String], creating: Bool) throws -> OpenDirectory {
        if let last = lastParent, last.relative == components { return last.directory }
        var current = root
        for component in components {
            if creating && mkdirat(current.descriptor, component, directoryMode) == 0 {
                let made = try ownedDirectory(current, component)
                try made.changeMode(directoryMode)
                if owner.needsHandOver { try made.changeOwner(uid: owner.uid, gid: owner.gid) }
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
