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
    let files: [String: File]
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

    /// Parses the manifest's text, after checking its Manifest-Checksum: the SHA-256 of the text up to and
    /// including the newline before the last line (pg_verifybackup's rule).
    init(_ text: [UInt8]) throws {
        let newlines = text.indices.filter { text[$0] == UInt8(ascii: "\n") }
        guard newlines.count >= 2 else { throw Invalid(reason: "it has fewer than two lines") }
        guard newlines[newlines.count - 1] == text.count - 1 else { throw Invalid(reason: "its last line does not end with a newline") }
        let covered = Array(text[...newlines[newlines.count - 2]])
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch let error as JSONValue.Invalid {
            throw Invalid(reason: "it is not valid JSON: \(error.reason)")
        }
        guard let version = json["PostgreSQL-Backup-Manifest-Version"]?.integer, version == 1 || version == 2 else {
            throw Invalid(reason: "PostgreSQL-Backup-Manifest-Version is missing or not 1 or 2")
        }
        guard let written = json["Manifest-Checksum"]?.string, let expected = Self.bytes(hex: written), expected.count == SHA256Hasher.digestSize else {
            throw Invalid(reason: "Manifest-Checksum is missing or not a SHA-256 in hex")
        }
        let actual = try SHA256Hasher.digest(covered)
        guard actual == expected else {
            throw Invalid(reason: "its Manifest-Checksum is \(written) but its text hashes to \(hex(actual))")
        }
        self.version = version
        if version >= 2 {
            guard let text = json["System-Identifier"], case .number(let digits) = text, let identifier = UInt64(digits) else {
                throw Invalid(reason: "version 2 without a System-Identifier")
            }
            systemIdentifier = identifier
        } else {
            systemIdentifier = nil
        }
        guard let entries = json["Files"]?.array else { throw Invalid(reason: "it has no Files list") }
        var files: [String: File] = [:]
        for entry in entries {
            let path: String
            if let plain = entry["Path"]?.string {
                path = plain
            } else if let encoded = entry["Encoded-Path"]?.string, let bytes = Self.bytes(hex: encoded) {
                path = String(decoding: bytes, as: UTF8.self)
            } else {
                throw Invalid(reason: "a file has neither Path nor a hex Encoded-Path")
            }
            guard let size = entry["Size"]?.integer, size >= 0 else { throw Invalid(reason: "file \(path) has no valid Size") }
            let name = entry["Checksum-Algorithm"]?.string ?? "NONE"
            guard let algorithm = ChecksumAlgorithm(rawValue: name) else {
                throw Invalid(reason: "file \(path) has unknown Checksum-Algorithm \(name)")
            }
            var checksum: [UInt8] = []
            if algorithm != .none {
                guard let written = entry["Checksum"]?.string, let bytes = Self.bytes(hex: written), !bytes.isEmpty else {
                    throw Invalid(reason: "file \(path) has no hex Checksum")
                }
                checksum = bytes
            }
            guard files[path] == nil else { throw Invalid(reason: "file \(path) is listed twice") }
            files[path] = File(size: size, algorithm: algorithm, checksum: checksum)
        }
        self.files = files
        walRanges = try (json["WAL-Ranges"]?.array ?? []).map { range in
            guard let timeline = range["Timeline"]?.integer, let start = range["Start-LSN"]?.string, let end = range["End-LSN"]?.string else {
                throw Invalid(reason: "a WAL range lacks its Timeline, Start-LSN or End-LSN")
            }
            return WALRange(timeline: timeline, startLSN: start, endLSN: end)
        }
    }

    /// The bytes of an even number of hex digits, either case; nil otherwise.
    static func bytes(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = Hex.parse32(Substring(String(decoding: digits[index..<index + 2], as: UTF8.self)), uppercaseOnly: false) else { return nil }
            bytes.append(UInt8(byte))
        }
        return bytes
    }
}
