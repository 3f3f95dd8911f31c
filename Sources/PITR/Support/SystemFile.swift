/// An open file descriptor with the path it was opened from, for error messages.
/// Closed when released. All calls retry on EINTR and throw `IOError` naming the path.
public final class SystemFile {
    public let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes ownership of an open descriptor (from `openat`, say); `path` names it in errors.
    package static func adopting(_ descriptor: Int32, path: String) -> SystemFile {
        SystemFile(descriptor: descriptor, path: path)
    }

    deinit { _ = Glibc.close(descriptor) }

    public static func openForReading(_ path: String) throws -> SystemFile {
        try open(path, flags: O_RDONLY | O_CLOEXEC, mode: 0)
    }

    /// Creates a new file; fails with EEXIST if it is already there.
    public static func createExclusive(_ path: String, mode: mode_t = 0o600) throws -> SystemFile {
        try open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: mode)
    }

    /// A new file without a name (O_TMPFILE) in `folder`, open for reading and writing, that
    /// nobody sees until `link(to:)` names it and that vanishes with the process if it never is;
    /// `shownAs` names it in errors. Nil when the file system cannot make one (then use a
    /// hidden temporary name).
    public static func createUnnamed(in folder: String, shownAs: String, mode: mode_t = 0o600) throws -> SystemFile? {
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY, a macro Swift does not import; 020000000 on x86-64 and arm64.
        let tmpfile: Int32 = 0o20_000_000 | O_DIRECTORY
        while true {
            let fd = Glibc.open(folder, tmpfile | O_RDWR | O_CLOEXEC, mode)
            if fd >= 0 { return SystemFile(descriptor: fd, path: shownAs) }
            switch errno {
            case EINTR: continue
            case EOPNOTSUPP, EISDIR, EINVAL: return nil  // the file system (or kernel) has no O_TMPFILE
            default: throw IOError("create a file in", folder)
            }
        }
    }

    /// Names a file made by `createUnnamed`; throws EEXIST, leaving it unnamed, when `path` exists.
    public func link(to path: String) throws {
        // Through /proc: linkat with AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH.
        while linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0 {
            if errno != EINTR { throw IOError("link to '\(path)'", self.path) }
        }
    }

    /// Opens a file for writing, creating it if it is not there; its content is kept.
    public static func openForWriting(_ path: String, mode: mode_t = 0o600) throws -> SystemFile {
        try open(path, flags: O_WRONLY | O_CREAT | O_CLOEXEC, mode: mode)
    }

    /// Opens a directory, for fsync after a rename inside it.
    /// A scratch file, open for reading and writing, that no name leads to and that vanishes when closed: unnamed
    /// (O_TMPFILE) in `ProcessPaths.temporaryFolder`, else created there under a random name (mode 0600) and unlinked.
    public static func scratch(shownAs: String) throws -> SystemFile {
        let folder = ProcessPaths.temporaryFolder
        if let file = try createUnnamed(in: folder, shownAs: shownAs) { return file }
        let path = folder + "/.tailtown-pitr-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).tmp"
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw IOError("create a file in", folder) }
        unlink(path)
        return SystemFile(descriptor: descriptor, path: shownAs)
    }

    public static func openDirectory(_ path: String) throws -> SystemFile {
        try open(path, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC, mode: 0)
    }

    private static func open(_ path: String, flags: Int32, mode: mode_t) throws -> SystemFile {
        while true {
            let fd = Glibc.open(path, flags, mode)
            if fd >= 0 { return SystemFile(descriptor: fd, path: path) }
            if errno != EINTR { throw IOError("open", path) }
        }
    }

    /// Reads at most `buffer.count` bytes; returns 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.read(descriptor, base, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw IOError("read", path) }
        }
    }

    /// Reads until `buffer` is full or the file ends; returns the bytes read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Reads at `offset` until `buffer` is full or the file ends; returns the bytes read.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        var total = 0
        while total < buffer.count, let base = buffer.baseAddress {
            let n = Glibc.pread(descriptor, base + total, buffer.count - total, off_t(offset + total))
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError("read", path)
            }
            total += n
        }
        return total
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = Glibc.write(descriptor, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError("write", path)
            }
            done += n
        }
    }

    /// Writes all of `bytes` at `offset`, leaving the file offset where it was.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = Glibc.pwrite(descriptor, base + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError("write", path)
            }
            done += n
        }
    }

    /// Sets the file's length: cut, or extended with zeros (a hole, no blocks written).
    public func setLength(_ length: Int) throws {
        while ftruncate(descriptor, off_t(length)) != 0 {
            if errno != EINTR { throw IOError("truncate", path) }
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes all of `bytes` from the start of the file, then cuts the file after them. Replacing a
    /// small file's content this way frees none of its blocks.
    public func overwrite(_ bytes: [UInt8]) throws {
        var done = 0
        try bytes.withUnsafeBytes { buffer in
            while done < buffer.count, let base = buffer.baseAddress {
                let n = Glibc.pwrite(descriptor, base + done, buffer.count - done, off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw IOError("write", path)
                }
                done += n
            }
        }
        while ftruncate(descriptor, off_t(bytes.count)) != 0 {
            if errno != EINTR { throw IOError("truncate", path) }
        }
    }

    public func size() throws -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw IOError("stat", path) }
        return Int(info.st_size)
    }

    /// Flushes data and metadata to stable storage.
    public func sync() throws {
        while fsync(descriptor) != 0 {
            if errno != EINTR { throw IOError("fsync", path) }
        }
    }

    /// Maps the file read-only (from `offset`, a multiple of the page size, for `count` bytes or to
    /// the end) and passes its bytes to `body` (empty for an empty file or range). By default the
    /// kernel reads the file ahead into its page cache without mapping it all into the process, so
    /// `releaseMappedPages` can keep the resident size small; `populate` maps every page at once
    /// instead (one system call rather than a page fault every few pages, for a file read whole and
    /// at once from the page cache).
    public func withMappedBytes<T>(offset: Int = 0, count: Int? = nil, populate: Bool = false,
                                   _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        let size = try count ?? (self.size() - offset)
        if size <= 0 { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), descriptor, off_t(offset)),
              address != MAP_FAILED else {
            throw IOError("map", path)
        }
        defer { munmap(address, size) }
        if !populate { _ = madvise(address, size, MADV_WILLNEED) }
        return try body(UnsafeRawBufferPointer(start: address, count: size))
    }

    /// Drops the pages of a part of a mapping (page-aligned start) from the process; reading
    /// them again faults them back in from the page cache. Only for read-only file mappings.
    public static func releaseMappedPages(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: start), bytes.count, MADV_DONTNEED)
    }

    /// Tells the kernel the file will be read once, front to back.
    public func adviseSequential() {
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }
}
