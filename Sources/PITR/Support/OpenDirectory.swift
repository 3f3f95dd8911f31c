/// A directory held by its descriptor, and everything below it reached one component at a time with
/// `O_NOFOLLOW`: what restore, running as root, writes into a directory another user owns. That user
/// can rename and replace entries at any moment, but never make a call through this type follow a
/// symlink, or act on anything but the entry the call names in the directory it holds
/// (`mkdirat`, `openat`, `fchownat(AT_SYMLINK_NOFOLLOW)`, `fchmod` on the descriptor).
package final class OpenDirectory {
    package let descriptor: Int32
    /// The path it was opened by, for messages only.
    package let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { _ = Glibc.close(descriptor) }

    /// A path that reaches this very directory whatever happens to `path`, for code that takes paths
    /// (through /proc's link to the descriptor); only for a directory no other user may write.
    package var procPath: String { "/proc/self/fd/\(descriptor)" }

    /// Opens the absolute `path`, creating its missing components with `create` when given. A symlink on
    /// the way is followed only when no user but root could have put it there or changed it (root owns
    /// it and the folder holding it, which no one else may write, or which is sticky).
    package static func open(_ path: String, creatingMissing create: ((OpenDirectory, String) throws -> OpenDirectory)? = nil) throws -> OpenDirectory {
        guard path.hasPrefix("/") else { throw DirectoryError.notAbsolute(path: path) }
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var resolved: [String] = []
        var current = try root()
        var links = 0
        while let name = pending.popLast() {
            if name.isEmpty || name == "." { continue }
            if name == ".." {
                // Lexically: the folder a user could move is never asked for its parent.
                if !resolved.isEmpty { resolved.removeLast() }
                current = try root()
                for component in resolved { current = try current.directory(component) }
                continue
            }
            let fd = openat(current.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if fd >= 0 {
                current = OpenDirectory(descriptor: fd, path: current.child(name))
                resolved.append(name)
                continue
            }
            let code = errno
            if code == ENOENT, let create {
                current = try create(current, name)
                resolved.append(name)
                continue
            }
            guard code == ELOOP || code == ENOTDIR, let link = current.status(name), link.st_mode & S_IFMT == S_IFLNK else {
                throw IOError("open directory", current.child(name), code: code)
            }
            let folder = try current.status()
            let folderIsRoots = folder.st_uid == 0 && (folder.st_mode & 0o022 == 0 || folder.st_mode & S_ISVTX != 0)
            guard link.st_uid == 0, folderIsRoots else { throw DirectoryError.untrustedSymlink(path: current.child(name)) }
            links += 1
            guard links <= 40 else { throw IOError("open directory", path, code: ELOOP) }
            let target = try current.readLink(name)
            if target.hasPrefix("/") {
                resolved = []
                current = try root()
            }
            pending += target.split(separator: "/").map(String.init).reversed()
        }
        return current
    }

    private static func root() throws -> OpenDirectory {
        let fd = Glibc.open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError("open directory", "/") }
        return OpenDirectory(descriptor: fd, path: "/")
    }

    /// `name`'s path, for messages.
    package func child(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    /// The directory `name` inside this one; a symlink there is refused (ELOOP).
    package func directory(_ name: String) throws -> OpenDirectory {
        try Self.checkName(name, in: self)
        let fd = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw IOError("open directory", child(name)) }
        return OpenDirectory(descriptor: fd, path: child(name))
    }

    /// Walks `components` down from here, each with `directory(_:)`.
    package func directory(components: some Sequence<String>) throws -> OpenDirectory {
        var current = self
        for component in components { current = try current.directory(component) }
        return current
    }

    /// Creates the directory `name` with `mode` (before the umask) and opens it; `existing` also
    /// opens one already there (never a symlink). The opened directory is the one to set up by descriptor.
    package func makeDirectory(_ name: String, mode: mode_t, existing: Bool = false) throws -> OpenDirectory {
        try Self.checkName(name, in: self)
        if mkdirat(descriptor, name, mode) != 0 {
            guard errno == EEXIST, existing else { throw IOError("create directory", child(name)) }
        }
        return try directory(name)
    }

    /// Creates the file `name`, which must not exist (not even as a symlink), open for writing.
    package func createFile(_ name: String, mode: mode_t) throws -> SystemFile {
        try Self.checkName(name, in: self)
        while true {
            let fd = openat(descriptor, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 { return SystemFile.adopting(fd, path: child(name)) }
            if errno != EINTR { throw IOError("create", child(name)) }
        }
    }

    /// Opens the regular file `name` for reading, never through a symlink, and never a FIFO or device
    /// (which could block or be something else entirely).
    package func openForReading(_ name: String) throws -> SystemFile {
        try openRegularFile(name, flags: O_RDONLY)
    }

    /// Opens the regular file `name`, which must exist, for writing in place, never through a symlink.
    package func openForWriting(_ name: String) throws -> SystemFile {
        try openRegularFile(name, flags: O_WRONLY)
    }

    private func openRegularFile(_ name: String, flags: Int32) throws -> SystemFile {
        try Self.checkName(name, in: self)
        var fd: Int32
        repeat { fd = openat(descriptor, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            if errno == ELOOP { throw DirectoryError.notRegularFile(path: child(name)) }
            throw IOError("open", child(name))
        }
        let file = SystemFile.adopting(fd, path: child(name))
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw IOError("stat", child(name)) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw DirectoryError.notRegularFile(path: child(name)) }
        return file
    }

    /// The whole regular file `name`, which must belong to one of `owners` and have no other name (a
    /// hard link to a file of another user is refused); at most `limit` bytes.
    package func readOwnedFile(_ name: String, owners: Set<uid_t>, limit: Int = 16 << 20) throws -> [UInt8] {
        let file = try openForReading(name)
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { throw IOError("stat", file.path) }
        guard owners.contains(info.st_uid), info.st_nlink == 1 else { throw DirectoryError.unexpectedOwner(path: file.path, uid: info.st_uid) }
        guard Int(info.st_size) <= limit else { throw DirectoryError.tooLarge(path: file.path, limit: limit) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = try bytes.withUnsafeMutableBytes { try file.readFully(into: $0) }
        return Array(bytes[..<count])
    }

    /// What `name` is, itself (a symlink is not followed); nil when missing.
    package func status(_ name: String) -> stat? {
        var info = stat()
        return fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
    }

    /// This directory's own status.
    package func status() throws -> stat {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw IOError("stat", path) }
        return info
    }

    /// Removes the file or symlink `name`; a missing one is not an error.
    package func remove(_ name: String) throws {
        try Self.checkName(name, in: self)
        if unlinkat(descriptor, name, 0) != 0 && errno != ENOENT { throw IOError("remove", child(name)) }
    }

    /// Renames `from` to `to`, both in this directory.
    package func rename(_ from: String, to: String) throws {
        try Self.checkName(from, in: self)
        try Self.checkName(to, in: self)
        if renameat(descriptor, from, descriptor, to) != 0 { throw IOError("rename to '\(child(to))'", child(from)) }
    }

    /// Creates the symlink `name` pointing at `target`.
    package func makeSymlink(_ name: String, to target: String) throws {
        try Self.checkName(name, in: self)
        if symlinkat(target, descriptor, name) != 0 { throw IOError("create symlink to '\(target)' at", child(name)) }
    }

    /// The target of the symlink `name`.
    func readLink(_ name: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(descriptor, name, &buffer, buffer.count - 1)
        guard count >= 0 else { throw IOError("read symlink", child(name)) }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Gives the entry `name` itself (a symlink, not its target) to `uid`:`gid`.
    package func changeOwner(of name: String, uid: uid_t, gid: gid_t) throws {
        try Self.checkName(name, in: self)
        if fchownat(descriptor, name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw IOError("change the owner of", child(name)) }
    }

    /// Gives this directory to `uid`:`gid`.
    package func changeOwner(uid: uid_t, gid: gid_t) throws {
        if fchown(descriptor, uid, gid) != 0 { throw IOError("change the owner of", path) }
    }

    /// Sets this directory's mode.
    package func changeMode(_ mode: mode_t) throws {
        if fchmod(descriptor, mode) != 0 { throw IOError("change the mode of", path) }
    }

    /// Names inside, without "." and "..".
    package func list() throws -> [String] {
        let copy = dup(descriptor)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { _ = Glibc.close(copy) }
            throw IOError("list", path)
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Flushes the directory's entries to stable storage.
    package func sync() throws {
        while fsync(descriptor) != 0 {
            if errno != EINTR { throw IOError("fsync", path) }
        }
    }

    /// Replaces (or creates) the file `name` with `bytes`: written to a new hidden name in this
    /// directory, prepared (`prepare`, to give it to another owner), synced, renamed over `name`, and
    /// the directory synced. A symlink at `name` is replaced, never followed.
    package func replaceFile(_ name: String, with bytes: [UInt8], mode: mode_t, prepare: (SystemFile) throws -> Void = { _ in }) throws {
        let temporary = FileSystem.temporaryFileName(for: name)
        do {
            let file = try createFile(temporary, mode: mode)
            try file.write(bytes)
            try prepare(file)
            try file.sync()
            try rename(temporary, to: name)
        } catch {
            try? remove(temporary)
            throw error
        }
        try sync()
    }

    /// One component: not empty, not "." or "..", no "/".
    private static func checkName(_ name: String, in directory: OpenDirectory) throws {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw DirectoryError.notAName(name: name, directory: directory.path)
        }
    }
}

/// Why a path was not followed or a file not read through `OpenDirectory`.
package enum DirectoryError: PITRError, Equatable {
    case notAbsolute(path: String)
    case untrustedSymlink(path: String)
    case notRegularFile(path: String)
    case unexpectedOwner(path: String, uid: uid_t)
    case tooLarge(path: String, limit: Int)
    case notAName(name: String, directory: String)

    package var description: String {
        switch self {
        case .notAbsolute(let path):
            "'\(path)' is not an absolute path: give it from /"
        case .untrustedSymlink(let path):
            "'\(path)' is a symlink that a user other than root could have planted or could change, and this process, running as root, follows none: give the path without it"
        case .notRegularFile(let path):
            "'\(path)' is not a regular file (a symlink, a folder or a device was put in its place): remove it and run again"
        case .unexpectedOwner(let path, let uid):
            "'\(path)' belongs to uid \(uid) or has another name (a hard link), not a file this restore or its owner wrote: it is not read; remove it and run again"
        case .tooLarge(let path, let limit):
            "'\(path)' is larger than \(limit) bytes, more than any file of its kind: remove it and run again"
        case .notAName(let name, let directory):
            "'\(name)' is not a file name inside \(directory)"
        }
    }
}
