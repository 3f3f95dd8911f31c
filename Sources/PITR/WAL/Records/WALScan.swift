/// What `WALRecordScanner` found in one segment.
public struct WALScan: Equatable, Sendable {
    /// The commit, abort and restore-point records that start in the segment, in WAL order.
    public var events: [WALEvent]
    /// The first record that starts in the segment (after any record continued from the
    /// previous segment); nil when none does.
    public var firstRecordLSN: LSN?
    /// Where the readable WAL of the segment ends: the end of the last complete record that starts
    /// in it (for an XLOG_SWITCH record, the end of the segment, as PostgreSQL counts it); when no
    /// record starts in it, where the continued record ends, or the segment's start.
    public var endLSN: LSN
    /// The ACCESS EXCLUSIVE locks the segment's XLOG_STANDBY_LOCK records log, in WAL order.
    public var locks: [StandbyLock]

    public init(events: [WALEvent], firstRecordLSN: LSN?, endLSN: LSN, locks: [StandbyLock] = []) {
        self.events = events
        self.firstRecordLSN = firstRecordLSN
        self.endLSN = endLSN
        self.locks = locks
    }
}
