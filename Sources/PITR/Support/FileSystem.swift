/// Path-level system calls, each throwing `IOError` naming the path.
public enum FileSystem {
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Size of a regular file, or nil when it does not exist.
    public static func size(_ path: String) throws -> Int? {
        var info = stat()
        if stat(path, &info) == 0 { return Int(info.st_size) }
        if errno == ENOENT { return nil }
        throw IOError("stat", path)
    }

    /// Creates `path` and any missing parents with `mode`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws {
        if isDirectory(path) { return }
        let parent = dirname(of: path)
        if parent != path, !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST { throw IOError("create directory", path) }
    }

    public static func rename(_ from: String, to: String) throws {
        if Glibc.rename(from, to) != 0 { throw IOError("rename to '\(to)'", from) }
    }

    /// Gives `from` the new name `to` only if `to` does not exist yet; throws EEXIST otherwise.
    public static func link(_ from: String, to: String) throws {
        if Glibc.link(from, to) != 0 { throw IOError("link to '\(to)'", from) }
    }

    /// Removes a file; a missing file is not an error.
    public static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw IOError("remove", path) }
    }

    /// Flushes a directory's entries, making renames inside it durable.
    public static func syncDirectory(_ path: String) throws {
        try SystemFile.openDirectory(path).sync()
    }

    /// Bytes an unprivileged user may still write on the file system that holds `path`.
    public static func availableBytes(_ path: String) throws -> Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw IOError("measure the free space of", path) }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Names inside a directory, without "." and "..".
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw IOError("list", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The whole file; also the files of /proc, whose size reads as 0. One byte more than the size is asked for, so a
    /// regular file is read in one pass.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let file = try SystemFile.openForReading(path)
        var bytes = [UInt8](repeating: 0, count: max(try file.size() + 1, 4096))
        var count = 0
        while true {
            let n = try bytes.withUnsafeMutableBytes { try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
            count += n
            guard count == bytes.count else { break }
            bytes += [UInt8](repeating: 0, count: bytes.count)
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// A hidden name beside `path`, `.<name>.<pid>.<16 hex digits>.tmp`, that no other writer uses:
    /// the pid tells a live writer from a killed one on this host, and 64 random bits set apart
    /// writers on hosts that share the folder (an NFS repository), where pids repeat. Create it
    /// with `SystemFile.createExclusive`, and never remove one that is not yours: an existing file
    /// of that name is someone else's, never a leftover to replace.
    public static func temporaryName(for path: String) -> String {
        dirname(of: path) + "/" + temporaryFileName(for: String(path.split(separator: "/").last ?? ""))
    }

    /// `temporaryName`'s last component: `.<name>.<pid>.<64 random bits>.tmp`, for a file in the same folder as `name`.
    package static func temporaryFileName(for name: String) -> String {
        // The standard library's generator reads the kernel's (getrandom): SecureRandom's source
        // without its layer, which sits above this one.
        var random = SystemRandomNumberGenerator()
        let token = Hex.format(random.next() as UInt64, width: 16).lowercased()
        return ".\(name).\(getpid()).\(token).tmp"
    }

    public static func dirname(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func basename(of path: String) -> String {
        String(path.split(separator: "/", omittingEmptySubsequences: true).last ?? "")
    }
}
