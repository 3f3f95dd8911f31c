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

    /// What the records of `segments[position]` say, its crossing last record read on into the next entry when that is
    /// the following segment.
    func scan(_ position: Int, of segments: [WALSegmentName]) throws -> WALScan
}
