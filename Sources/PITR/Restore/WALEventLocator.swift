import PITRWAL

/// Finds where in the WAL a recovery target lies, by reading archived segments.
/// The planner asks it; `ArchiveEventLocator` answers from a repository's archive.
public protocol WALEventLocator {
    /// The commit, abort or restore-point record at which recovery for `target` (`.time`, `.xid`
    /// or `.name`) stops, reading `segments` in recovery order (across timelines, as the plan's
    /// path says); nil when none of them holds it.
    func stopEvent(for target: RecoveryTarget, exclusive: Bool, in segments: [WALSegmentName]) throws -> WALEvent?

    /// The newest commit, abort or restore point within `segments`, scanning back from the end:
    /// the newest time one can restore to.
    func newestEvent(in segments: [WALSegmentName]) throws -> WALEvent?
}
