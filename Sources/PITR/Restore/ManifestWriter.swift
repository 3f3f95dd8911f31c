import PITRNative
import PITRSupport

/// Writes a backup_manifest (version 2) into a file as its entries come, as pg_combinebackup's write_manifest.c lays
/// it out, so that pg_verifybackup reads it the same: one line per file, then the WAL ranges, then the SHA-256 of
/// everything before. Holds at most 128 KiB of text.
final class ManifestWriter {
    private let file: SystemFile
    private let hasher: SHA256Hasher
    private var buffer: [UInt8] = []
    private var firstFile = true

    init(file: SystemFile, systemIdentifier: UInt64) throws {
        self.file = file
        hasher = try SHA256Hasher()
        append("{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"System-Identifier\": \(systemIdentifier),\n\"Files\": [")
    }

    /// One file's line; `crc32c` nil lists it without a checksum.
    func add(path: String, size: Int, modified: UTCTime, crc32c: [UInt8]?) throws {
        append(firstFile ? "\n" : ",\n")
        firstFile = false
        append("{ \"Path\": \(path.jsonLiteral), \"Size\": \(size), \"Last-Modified\": \"\(modified.manifestText)\"")
        if let crc32c { append(", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"\(hex(crc32c))\"") }
        append(" }")
        if buffer.count > 128 << 10 { try flush() }
    }

    /// The WAL ranges and the manifest's checksum; the file is complete and synced.
    func finish(walRanges: [BackupManifest.WALRange]) throws {
        append("\n],\n\"WAL-Ranges\": [\n")
        append(walRanges.map { "{ \"Timeline\": \($0.timeline), \"Start-LSN\": \"\($0.startLSN)\", \"End-LSN\": \"\($0.endLSN)\" }" }.joined(separator: ",\n"))
        append("\n],\n")
        try flush()
        buffer = Array("\"Manifest-Checksum\": \"\(hex(try hasher.finish()))\"}\n".utf8)
        try file.write(buffer)
        try file.sync()
    }

    private func append(_ text: String) { buffer += text.utf8 }

    private func flush() throws {
        try buffer.withUnsafeBytes { try hasher.update($0) }
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
