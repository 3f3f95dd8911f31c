/// A folder of small files only the user running the command may read or change, shared by the processes of that
/// user (one `wal-push` per segment): temporary AWS credentials today. It lives outside any data directory (under
/// $XDG_CACHE_HOME or ~/.cache; a folder inside one is refused), so base backups never copy it.
///
/// The folder is 0700 and the user's; every folder above it belongs to the user or root and is writable by no one
/// else (or sticky, as /tmp), so no other user can swap a component of the path. Entries are 0600, written whole
/// (`AtomicFile`: a reader finds the old entry or the new one, never half of one) and read back only when they are
/// still the user's alone. A process that refreshes an entry holds `withLock` so that two never refresh at once.
package struct PrivateCache: Sendable {
    package let path: String

    /// Why a folder or an entry is not used. Messages name the path, never the content.
    package struct Refusal: PITRError {
        package let path: String
        package let problem: String
        package var description: String { "cache '\(path)' \(problem)" }
    }

    /// Opens (creating it 0700 when missing) the cache folder `path`; throws `Refusal` when another user could
    /// change it or read what it holds.
    package static func open(_ path: String) throws -> PrivateCache {
        guard path.hasPrefix("/") else { throw Refusal(path: path, problem: "is not an absolute path") }
        try checkOutsideDataDirectories(path)
        let user = geteuid()
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else { throw Refusal(path: path, problem: "cannot be read: \(String(cString: strerror(errno)))") }
            try checkAncestors(of: path, user: user)
            do {
                try FileSystem.makeDirectories(path, mode: 0o700)
            } catch let error as IOError {
                throw Refusal(path: path, problem: "cannot be created: \(String(cString: strerror(error.code)))")
            }
            guard lstat(path, &info) == 0 else { throw Refusal(path: path, problem: "vanished after it was created") }
        } else {
            try checkAncestors(of: path, user: user)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw Refusal(path: path, problem: "is not a folder (or is a symbolic link)") }
        guard info.st_uid == user else {
            throw Refusal(path: path, problem: "belongs to uid \(info.st_uid), not to the user running tailtown-pitr (uid \(user))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Refusal(path: path, problem: "has mode \(octal(info.st_mode)), which lets other users in: run chmod 700 '\(path)'")
        }
        return PrivateCache(path: path)
    }

    /// Neither `path` nor any folder above it may be a PostgreSQL data directory (it holds PG_VERSION): base backups
    /// copy those whole.
    private static func checkOutsideDataDirectories(_ path: String) throws {
        var folder = path
        while folder != "/" {
            if access(folder + "/PG_VERSION", F_OK) == 0 {
                throw Refusal(path: path, problem: "is inside '\(folder)', a PostgreSQL data directory (it holds PG_VERSION), which base "
                    + "backups copy: choose a folder outside it (TAILTOWN_CACHE_DIR)")
            }
            folder = FileSystem.dirname(of: folder)
        }
    }

    /// Every folder above `path` must belong to the user or root, and be writable by nobody else unless sticky.
    private static func checkAncestors(of path: String, user: uid_t) throws {
        var folder = FileSystem.dirname(of: path)
        while true {
            var info = stat()
            if lstat(folder, &info) == 0 {
                let writableByOthers = info.st_mode & 0o022 != 0 && info.st_mode & S_ISVTX == 0
                guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == user || info.st_uid == 0, !writableByOthers else {
                    throw Refusal(path: path, problem: "is under '\(folder)' (uid \(info.st_uid), mode \(octal(info.st_mode))), "
                        + "which another user could change: choose a folder only you and root can change (TAILTOWN_CACHE_DIR)")
                }
            } else if errno != ENOENT {
                throw Refusal(path: path, problem: "cannot be checked: '\(folder)': \(String(cString: strerror(errno)))")
            }
            if folder == "/" { return }
            folder = FileSystem.dirname(of: folder)
        }
    }

    /// The entry `name`'s bytes; nil when it does not exist. Throws `Refusal` for an entry that is not a regular file,
    /// is another user's, or is open to others (it is then never trusted: the caller goes without it and `write`
    /// replaces it).
    package func read(_ name: String) throws -> [UInt8]? {
        let entry = "\(path)/\(name)"
        let descriptor = Glibc.open(entry, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw Refusal(path: entry, problem: "cannot be read: \(String(cString: strerror(errno)))")
        }
        let file = SystemFile.adopting(descriptor, path: entry)
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw IOError("stat", entry) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw Refusal(path: entry, problem: "is not a regular file") }
        guard info.st_uid == geteuid() else {
            throw Refusal(path: entry, problem: "belongs to uid \(info.st_uid), not to the user running tailtown-pitr (uid \(geteuid())): it is ignored")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Refusal(path: entry, problem: "has mode \(PrivateCache.octal(info.st_mode)), which lets other users read it: it is ignored")
        }
        var bytes = [UInt8](repeating: 0, count: min(Int(info.st_size), 1 << 20))
        let count = try bytes.withUnsafeMutableBytes { try file.readFully(into: $0) }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// Replaces the entry `name` with `bytes`, 0600, whole (not synced: a cache lost in a crash is fetched again).
    package func write(_ name: String, _ bytes: [UInt8]) throws {
        try AtomicFile.write(bytes, to: "\(path)/\(name)", mode: 0o600, durable: false)
    }

    /// Runs `body` holding an exclusive flock on the entry's lock file (`name.lock`), waiting for another process that
    /// holds it: the one that refreshes an entry while the others wait and then read what it wrote.
    package func withLock<T>(_ name: String, _ body: () throws -> T) throws -> T {
        let lockPath = "\(path)/\(name).lock"
        let descriptor = Glibc.open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw IOError("open", lockPath) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw IOError("lock", lockPath) }
        }
        return try body()
    }

    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
