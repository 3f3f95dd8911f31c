/// A WAL record the decoder reads: one that can end recovery (what `recovery_target_time`, `_xid` and `_name`
/// look at), or one that marks where recovery can start or a timeline begins.
public struct WALEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case commit
        case abort
        /// pg_create_restore_point(name).
        case restorePoint(name: String)
        /// A checkpoint: its redo point and the timeline it was written on (`previousTimeline` differs at the
        /// end-of-recovery checkpoint that starts a new timeline). `online` is false for a shutdown checkpoint.
        case checkpoint(redo: LSN, timeline: TimelineID, previousTimeline: TimelineID, online: Bool)
        /// XLOG_END_OF_RECOVERY, the first record of a promoted server's new timeline.
        case endOfRecovery(timeline: TimelineID, previousTimeline: TimelineID)
    }

    public let kind: Kind
    /// Where the record starts (ReadRecPtr) and where the next one starts (EndRecPtr).
    public let lsn: LSN
    public let endLSN: LSN
    /// The record's transaction (for prepared transactions, the prepared one); 0 for the others.
    public let xid: UInt32
    /// The commit, abort, restore-point or end-of-recovery time recorded in the WAL; 0 for a checkpoint
    /// (its time field moves between majors, and no target looks at it).
    public let time: PostgresTimestamp
    /// A commit's or abort's subtransactions, whose locks end with it.
    public let subtransactions: [UInt32]

    /// Whether recovery can stop at this record: a commit, an abort or a restore point.
    public var isRecoveryTarget: Bool {
        switch kind {
        case .commit, .abort, .restorePoint: true
        case .checkpoint, .endOfRecovery: false
        }
    }

    public init(kind: Kind, lsn: LSN, endLSN: LSN, xid: UInt32, time: PostgresTimestamp, subtransactions: [UInt32] = []) {
        self.kind = kind
        self.lsn = lsn
        self.endLSN = endLSN
        self.xid = xid
        self.time = time
        self.subtransactions = subtransactions
    }
}
