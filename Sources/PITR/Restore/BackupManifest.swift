import PITRNative
import PITRSupport

/// A backup's `backup_manifest` (PostgreSQL-Backup-Manifest-Version 1 and 2, PostgreSQL 13 and later):
/// what each file of the backup is, by path relative to the data directory (a tablespace's files under
/// `pg_tblspc/OID/`), as `pg_verifybackup` reads it. WAL-Ranges are kept as written, for a manifest that
/// replaces this one (a rebuilt incremental backup's); restore checks WAL itself.
struct BackupManifest {
    enum ChecksumAlgorithm: String, Sendable {
        case none = "NONE", crc32c = "CRC32C", sha224 = "SHA224", sha256 = "SHA256", sha384 = "SHA384", sha512 = "SHA512"

        /// Whether restore computes it; for the others, only the size is checked.
        var isComputed: Bool { self == .crc32c || self == .sha256 }
    }

    struct File: Equatable {
        let size: Int
        let algorithm: ChecksumAlgorithm
        /// The checksum's bytes as the manifest writes them in hex (CRC-32C: its four bytes little-endian).
        let checksum: [UInt8]
    }

    let version: Int
    /// Version 2's System-Identifier; nil in version 1.
    let systemIdentifier: UInt64?
    let files: ManifestFiles
    /// WAL-Ranges, each as its lines give it.
    let walRanges: [WALRange]

    struct WALRange: Equatable {
        let timeline: Int
        let startLSN: String
        let endLSN: String
    }

    struct Invalid: Error, Equatable {
        let reason: String
    }

    /// The bytes of an even number of hex digits, either case; nil otherwise.
    static func bytes(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Hex.digit(digits[index]), let low = Hex.digit(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}

extension BackupManifest {
    /// Parses the whole text at once (`ManifestReader` reads it as it arrives), after checking its Manifest-Checksum.
    init(_ text: [UInt8]) throws {
        let reader = try ManifestReader()
        try text.withUnsafeBytes { try reader.write($0) }
        self = try reader.finish()
    }
}
