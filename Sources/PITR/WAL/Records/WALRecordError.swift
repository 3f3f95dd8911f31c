import PITRSupport

/// What can be wrong with the records of a WAL segment, or with a question put to the decoder.
/// (Kept beside the decoder rather than in `WALError`, which names files and headers.)
public enum WALRecordError: PITRError, Equatable {
    /// The segment does not start with this cluster's long page header.
    case notASegment(segment: String, reason: String)
    /// A record that valid WAL follows within the same segment is unreadable: real corruption,
    /// not the torn or zeroed end of the WAL.
    case corruptRecord(segment: String, lsn: LSN, reason: String)
    case unsupportedVersion(Int)
    /// A programming error: the locator answers `.time`, `.xid` and `.name` targets only.
    case targetNotLocatable(String)

    public var description: String {
        switch self {
        case .notASegment(let segment, let reason):
            return "WAL segment \(segment) cannot be decoded: \(reason); is it a segment of this cluster's archive?"
        case .corruptRecord(let segment, let lsn, let reason):
            return "WAL segment \(segment) is corrupt at LSN \(lsn): \(reason), yet valid WAL follows it; restore the segment from another copy (pg_wal of the primary or a standby)"
        case .unsupportedVersion(let version):
            return "WAL records of PostgreSQL \(version) cannot be decoded; tailtown-pitr decodes \(PostgreSQLMajor.supportedRange)"
        case .targetNotLocatable(let target):
            return "the WAL event locator cannot place a \(target) target: only time, xid and restore-point targets lie inside WAL records; the planner handles the others"
        }
    }
}
