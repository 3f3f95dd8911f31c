import PITRNative
import PITRSupport

/// Checks restored files against the backup's `backup_manifest`, as `pg_verifybackup` does without WAL:
/// every listed file exists with the listed size and checksum, and nothing else exists but what
/// pg_verifybackup ignores and what restore itself writes. Restore feeds it each file's bytes as the tar
/// extractor writes them (`start`, then `RunningChecksum.update`, then `finish`), so nothing is read back
/// from disk; `verify(directory:tablespaces:)` reads a directory that is already there.
final class ManifestCheck {
    let manifest: BackupManifest
    /// Which of the manifest's files (by index in `manifest.files`) were checked.
    private var seen: [Bool]

    init(manifest: BackupManifest) {
        self.manifest = manifest
        seen = Array(repeating: false, count: manifest.files.count)
    }

    /// Top-level names pg_verifybackup ignores (pg_wal with everything under it), and restore's marker.
    static let ignoredNames: Set<String> = [
        "backup_manifest", "pg_wal", "postgresql.auto.conf", "recovery.signal", "standby.signal", RestoreMarker.fileName,
    ]

    static func isIgnored(_ path: String) -> Bool {
        let top = path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? path
        return ignoredNames.contains(top)
    }

    /// The algorithms of listed files that restore does not compute (their files are checked by size only).
    var uncomputedAlgorithms: [BackupManifest.ChecksumAlgorithm] {
        manifest.files.algorithms.filter { $0 != .none && !$0.isComputed }.sorted { $0.rawValue < $1.rawValue }
    }

    /// Begins the file at `path` (relative to the data directory); nil for an ignored one. Throws for a
    /// file the manifest does not list.
    func start(_ path: String) throws -> RunningChecksum? {
        if Self.isIgnored(path) { return nil }
        switch try listed(path, seen: false).algorithm {
        case .crc32c: return .crc32c(CRC32C())
        case .sha256: return .sha256(try SHA256Hasher())
        default: return .sizeOnly
        }
    }

    /// Ends the file `start` began, `size` bytes long; throws when its size or checksum differs from the manifest's.
    func finish(_ path: String, size: Int, checksum: inout RunningChecksum) throws {
        let file = try listed(path, seen: true)
        guard size == file.size else { throw RestoreError.manifestMismatch(file: path, reason: "size \(size), manifest says \(file.size)") }
        if let actual = try checksum.finish(), actual != file.checksum {
            throw RestoreError.manifestMismatch(file: path, reason: "\(file.algorithm.rawValue) checksum \(hex(actual)), manifest says \(hex(file.checksum))")
        }
    }

    /// The manifest's entry for `path`, marked `seen` (finished) or not; throws for a file it does not list.
    private func listed(_ path: String, seen marking: Bool) throws -> BackupManifest.File {
        guard let index = manifest.files.index(of: path) else {
            throw RestoreError.manifestMismatch(file: path, reason: "backup_manifest does not list it")
        }
        if marking { seen[index] = true }
        return manifest.files[index]
    }

    /// Throws for a listed file that was never finished (the first by path).
    func finishAll() throws {
        for index in seen.indices where !seen[index] {
            let path = manifest.files.path(at: index)
            if Self.isIgnored(path) { continue }
            throw RestoreError.manifestMismatch(file: path, reason: "it is missing, manifest says size \(manifest.files[index].size)")
        }
    }

    /// Checks a restored data directory and its tablespaces (by OID, what `pg_tblspc/OID` stands for)
    /// by reading every file, by descriptor: the check restore makes as it extracts, for a directory already there.
    func verify(directory: OpenDirectory, tablespaces: [UInt32: OpenDirectory]) throws {
        try checkUnseen(directory: directory, tablespaces: tablespaces)
        try finishAll()
    }

    /// Reads and checks every file of the directory that was not checked yet (all of them in a directory already there;
    /// the rebuilt ones after an incremental backup's rebuild). `written` gives the CRC-32C of a file of a given length
    /// when it is known without reading the file (a rebuilt one's, kept as it was written).
    func checkUnseen(directory: OpenDirectory, tablespaces: [UInt32: OpenDirectory],
                     written: (_ path: String, _ length: Int) -> UInt32? = { _, _ in nil }) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        try RestoredFiles.walk(directory, tablespaces: tablespaces, skip: Self.isIgnored) { path, folder, name, info in
            guard !(manifest.files.index(of: path).map { seen[$0] } ?? false), var checksum = try start(path) else { return }
            if case .crc32c = checksum, let crc = written(path, Int(info.st_size)) {
                checksum = .crc32c(CRC32C(continuing: crc))
                try finish(path, size: Int(info.st_size), checksum: &checksum)
                return
            }
            let size = try RestoredFiles.read(name, in: folder, buffer: &buffer) { try checksum.update($0) }
            try finish(path, size: size, checksum: &checksum)
        }
    }
}

/// One file's checksum as its bytes go by, in the manifest's algorithm.
enum RunningChecksum {
    case crc32c(CRC32C)
    case sha256(SHA256Hasher)
    /// An algorithm restore does not compute (SHA224, SHA384, SHA512) or NONE.
    case sizeOnly

    mutating func update(_ bytes: UnsafeRawBufferPointer) throws {
        switch self {
        case .crc32c(var crc):
            crc.update(bytes)
            self = .crc32c(crc)
        case .sha256(let hasher):
            try hasher.update(bytes)
        case .sizeOnly:
            break
        }
    }

    /// The checksum's bytes as the manifest writes them; nil when not computed.
    mutating func finish() throws -> [UInt8]? {
        switch self {
        case .crc32c(let crc):
            // PostgreSQL writes the CRC's four bytes as they lie in memory: little-endian.
            let value = crc.value
            return [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
        case .sha256(let hasher):
            return try hasher.finish()
        case .sizeOnly:
            return nil
        }
    }
}
