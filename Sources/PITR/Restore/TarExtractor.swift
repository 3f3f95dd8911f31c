import PITRSupport

/// Writes a tar stream, as it arrives, into a directory: the ustar subset PostgreSQL's
/// BASE_BACKUP writes (regular files, directories, symlinks for pg_tblspc; 512-byte blocks; two
/// zero blocks at the end). Nothing is staged: each block goes straight into its file.
///
/// Never writes outside `root`: an absolute path, a `..` component, a path under a symlink
/// this archive made, or a symlink other than those of `linkTargets` is refused. Files are
/// created exclusively (a duplicate entry is refused), with the archive's mode, and handed to
/// `owner` when running as root. Pieces of one archive are written to the same extractor in order.
final class TarExtractor: ByteSink {
    /// Names the archive in errors, such as the object of its first piece.
    let archive: String
    let root: String
    let owner: FileOwner
    /// The symlinks the archive may hold (path inside the archive, such as "pg_tblspc/16385")
    /// and the target written for each: the tablespace's location, or its `--tablespace-map` one.
    let linkTargets: [String: String]

    /// Files and directories created, in creation order, for `sync`.
    private(set) var created: [String] = []
    /// True when an entry's mode gives its group access (a cluster initialized with --allow-group-access).
    private(set) var sawGroupAccess = false
    private(set) var fileCount = 0
    private(set) var contentBytes = 0

    private var header = [UInt8](repeating: 0, count: TarHeader.blockSize)
    private var headerFill = 0
    private var current: SystemFile?
    private var remaining = 0
    private var padding = 0
    private var zeroBlocks = 0
    private var symlinks: Set<String> = []

    init(archive: String, root: String, owner: FileOwner, linkTargets: [String: String] = [:]) {
        self.archive = archive
        self.root = root
        self.owner = owner
        self.linkTargets = linkTargets
    }

    /// True once the two closing zero blocks were read.
    var isComplete: Bool { zeroBlocks >= 2 }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let available = bytes.count - offset
            if isComplete {
                // Only zero padding may follow the end of the archive.
                guard bytes[offset...].allSatisfy({ $0 == 0 }) else {
                    throw RestoreError.corruptArchive(archive: archive, reason: "data follows the end-of-archive blocks")
                }
                return
            } else if remaining > 0 {
                let count = min(remaining, available)
                try current?.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
                remaining -= count
                contentBytes += count
                offset += count
                if remaining == 0 { current = nil }
            } else if padding > 0 {
                let count = min(padding, available)
                padding -= count
                offset += count
            } else {
                let count = min(TarHeader.blockSize - headerFill, available)
                header.withUnsafeMutableBytes { target in
                    UnsafeMutableRawBufferPointer(rebasing: target[headerFill..<headerFill + count])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
                }
                headerFill += count
                offset += count
                if headerFill == TarHeader.blockSize {
                    headerFill = 0
                    try header.withUnsafeBytes { try entry($0) }
                }
            }
        }
    }

    /// Throws unless the stream ended exactly with the end-of-archive blocks.
    func finish() throws {
        current = nil
        guard isComplete else {
            throw RestoreError.corruptArchive(archive: archive, reason: "it ends before its end-of-archive blocks (a missing or truncated piece)")
        }
    }

    /// fsyncs every file, then every directory deepest first (as pg_basebackup does after writing).
    func sync() throws {
        for path in created.reversed() {
            try SystemFile.openForReading(path).sync()
        }
    }

    private func entry(_ block: UnsafeRawBufferPointer) throws {
        if TarHeader.isZeroBlock(block) {
            zeroBlocks += 1
            return
        }
        guard zeroBlocks == 0 else {
            throw RestoreError.corruptArchive(archive: archive, reason: "an entry follows a zero block")
        }
        let header = try TarHeader(block, archive: archive)
        let components = try safeComponents(header.name)
        let relative = components.joined(separator: "/")
        // Symlinks carry 0777 whatever the cluster's mode.
        if header.kind == .file || header.kind == .directory, header.mode & 0o070 != 0 { sawGroupAccess = true }
        let path = components.isEmpty ? root : root + "/" + relative
        let mode = mode_t(header.mode & 0o777)
        switch header.kind {
        case .directory:
            guard !components.isEmpty else { return }
            try makeParents(components)
            if mkdir(path, mode) != 0 {
                guard errno == EEXIST, FileSystem.isDirectory(path) else { throw IOError("create directory", path) }
            }
            if chmod(path, mode) != 0 { throw IOError("change the mode of", path) }
            try owner.take(path: path)
            created.append(path)
        case .file:
            guard !components.isEmpty else {
                throw RestoreError.unsafeEntry(archive: archive, entry: header.name, reason: "a file without a name")
            }
            try makeParents(components)
            let file = try SystemFile.createExclusive(path, mode: mode)
            // The umask may have narrowed the mode; the archive's is the one PostgreSQL expects.
            if fchmod(file.descriptor, mode) != 0 { throw IOError("change the mode of", path) }
            try owner.take(file)
            created.append(path)
            fileCount += 1
            remaining = header.size
            padding = (TarHeader.blockSize - header.size % TarHeader.blockSize) % TarHeader.blockSize
            current = remaining > 0 ? file : nil
        case .symlink:
            guard let target = linkTargets[relative] else {
                throw RestoreError.unsafeEntry(archive: archive, entry: header.name, reason: "a symlink that is not a tablespace of the backup")
            }
            try makeParents(components)
            if symlink(target, path) != 0 { throw IOError("create symlink to '\(target)' at", path) }
            try owner.take(path: path)
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

    /// Creates missing parent directories (0700, like initdb's) of the entry at `components`.
    private func makeParents(_ components: [String]) throws {
        var path = root
        for component in components.dropLast() {
            path += "/" + component
            if FileSystem.isDirectory(path) { continue }
            if mkdir(path, 0o700) != 0 { throw IOError("create directory", path) }
            try owner.take(path: path)
            created.append(path)
        }
    }
}
