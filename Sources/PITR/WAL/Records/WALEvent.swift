/// A WAL record that can end recovery: what `recovery_target_time`, `_xid` and `_name` look at.
public struct WALEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case commit
        case abort
        /// pg_create_restore_point(name).
        case restorePoint(name: String)
    }

    public let kind: Kind
    /// Where the record starts (ReadRecPtr) and where the next one starts (EndRecPtr).
    public let lsn: LSN
    public let endLSN: LSN
    /// The record's transaction (for prepared transactions, the prepared one); 0 for a restore point.
    public let xid: UInt32
    /// The commit, abort or restore-point time recorded in the WAL.
    public let time: PostgresTimestamp

    public init(kind: Kind, lsn: LSN, endLSN: LSN, xid: UInt32, time: PostgresTimestamp) {
        self.kind = kind
        self.lsn = lsn
        self.endLSN = endLSN
        self.xid = xid
        self.time = time
    }
}
