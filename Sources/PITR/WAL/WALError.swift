import PITRSupport

/// Everything that can be wrong with a WAL name, position, file or cluster identity.
public enum WALError: PITRError, Equatable {
    case invalidLSN(String)
    case invalidTimestamp(String, reason: String)
    case invalidTimeline(String)
    case invalidSegmentSize(UInt64)
    case invalidSegmentName(String, reason: String)
    case segmentNameOutOfRange(String, segmentSize: WALSegmentSize)
    case notAWALFileName(String)

    case headerTooShort(file: String, bytes: Int)
    case unknownPageMagic(file: String, magic: UInt16)
    case pageMagicMismatch(file: String, fileVersion: Int, clusterVersion: Int)
    case missingLongHeader(file: String, info: UInt16)
    case systemIdentifierMismatch(file: String, fileSystem: UInt64, clusterSystem: UInt64)
    case invalidHeaderSegmentSize(file: String, bytes: UInt32)
    case invalidHeaderBlockSize(file: String, bytes: UInt32)
    case fileSizeMismatch(file: String, fileBytes: Int, segmentSize: WALSegmentSize)
    case pageAddressMismatch(file: String, found: LSN, expected: LSN)
    case timelineMismatch(file: String, headerTimeline: TimelineID, nameTimeline: TimelineID)

    case controlFileTooShort(file: String, bytes: Int)
    case implausibleControlVersion(file: String, version: UInt32)
    case invalidVersionFile(file: String, content: String)
    case unsupportedMajorVersion(Int, source: String)
    case controlVersionMismatch(file: String, version: UInt32, major: Int, expected: UInt32)
    case invalidArchiveID(String)

    case malformedHistory(file: String, line: Int, reason: String)
    case malformedBackupHistory(file: String, reason: String)
    /// A backup history file whose `START WAL LOCATION` is not where its name says; `contentName` is the name its content gives.
    case backupHistoryNameMismatch(file: String, name: String, start: LSN, contentName: String)

    /// Whether this is `unsupportedMajorVersion`: something of a major this build does not know.
    public var isUnsupportedMajor: Bool {
        if case .unsupportedMajorVersion = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .invalidLSN(let text):
            return "'\(text)' is not an LSN; expected PostgreSQL's X/Y hex form, such as 0/16B3748"
        case .invalidTimestamp(let text, let reason):
            return "'\(text)' is not a timestamp: \(reason); expected RFC 3339 such as 2026-11-26T14:03:27Z or PostgreSQL's 2026-11-26 14:03:27.123+00"
        case .invalidTimeline(let text):
            return "'\(text)' is not a timeline ID; expected 8 uppercase hex digits other than 00000000"
        case .invalidSegmentSize(let bytes):
            return "WAL segment size \(bytes) bytes is not a power of two from 1 MiB to 1 GiB (initdb --wal-segsize=1 to 1024)"
        case .invalidSegmentName(let name, let reason):
            return "'\(name)' is not a WAL segment name: \(reason)"
        case .segmentNameOutOfRange(let name, let size):
            return "'\(name)' is not a WAL segment name for \(size) segments: its last 8 digits must be below \(Hex.format(size.segmentsPerXLogID, width: 8))"
        case .notAWALFileName(let name):
            return "'\(name)' is not a WAL segment, .partial, .history or .backup file name"

        case .headerTooShort(let file, let bytes):
            return "WAL file '\(file)' is only \(bytes) bytes, too short for a WAL page header; it is not a WAL segment"
        case .unknownPageMagic(let file, let magic):
            return "WAL file '\(file)' has page magic 0x\(Hex.format(magic, width: 4)), which is not \(PostgreSQLMajor.supportedRange) WAL; it is corrupt, not WAL, or from a major this build does not support"
        case .pageMagicMismatch(let file, let fileVersion, let clusterVersion):
            return "WAL file '\(file)' was written by PostgreSQL \(fileVersion) but this data directory is PostgreSQL \(clusterVersion); it belongs to another cluster"
        case .missingLongHeader(let file, let info):
            return "WAL file '\(file)' does not begin with a long page header (xlp_info 0x\(Hex.format(info, width: 4))); it is not the start of a WAL segment"
        case .systemIdentifierMismatch(let file, let fileSystem, let clusterSystem):
            return "WAL file '\(file)' belongs to database system \(fileSystem) but this data directory is system \(clusterSystem); check which cluster archives into this repository"
        case .invalidHeaderSegmentSize(let file, let bytes):
            return "WAL file '\(file)' declares a segment size of \(bytes) bytes, not a power of two from 1 MiB to 1 GiB; the file is corrupt"
        case .invalidHeaderBlockSize(let file, let bytes):
            return "WAL file '\(file)' declares a WAL block size of \(bytes) bytes, not a power of two from 1 KiB to 64 KiB; the file is corrupt"
        case .fileSizeMismatch(let file, let fileBytes, let size):
            return "WAL file '\(file)' is \(fileBytes) bytes but its header declares \(size) (\(size.bytes) bytes) segments; the file is truncated or corrupt"
        case .pageAddressMismatch(let file, let found, let expected):
            return "WAL file '\(file)' starts at LSN \(found) but its name says it starts at \(expected); the file was renamed or is corrupt"
        case .timelineMismatch(let file, let header, let name):
            return "WAL file '\(file)' begins with records of timeline \(header), later than timeline \(name) in its name; the file was renamed or is corrupt"

        case .controlFileTooShort(let file, let bytes):
            return "'\(file)' is only \(bytes) bytes, too short for pg_control; is this a PostgreSQL data directory?"
        case .implausibleControlVersion(let file, let version):
            return "'\(file)' has pg_control version \(version), which no PostgreSQL 10 or later writes; the file is corrupt or from a machine with another byte order"
        case .invalidVersionFile(let file, let content):
            return "'\(file)' should hold a major version such as \"15\" but holds \"\(content)\"; is this a PostgreSQL data directory?"
        case .unsupportedMajorVersion(let version, let source):
            return "PostgreSQL \(version) (from \(source)) is not supported by this build of tailtown-pitr, which supports \(PostgreSQLMajor.supportedRange)"
        case .controlVersionMismatch(let file, let version, let major, let expected):
            return "'\(file)' has pg_control version \(version), but PostgreSQL \(major) (its PG_VERSION) writes \(expected); the data directory is damaged or from another major"
        case .invalidArchiveID(let text):
            return "'\(text)' is not an archive ID; expected <major version>-<system identifier>, such as 15-7312093440512345678"

        case .malformedHistory(let file, let line, let reason):
            return "timeline history file '\(file)' line \(line): \(reason)"
        case .malformedBackupHistory(let file, let reason):
            return "backup history file '\(file)' is not one PostgreSQL writes: \(reason)"
        case .backupHistoryNameMismatch(let file, let name, let start, let contentName):
            return "backup history file '\(file)' is named \(name), but its backup starts at \(start), which names it \(contentName); the file was renamed or is corrupt"
        }
    }
}
