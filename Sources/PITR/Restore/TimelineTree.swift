import PITRRepository
import PITRWAL

/// The timelines of one archive and how they descend from each other, as the `.history` files
/// say: each timeline's parent and the switchpoint where it left the parent. Timeline 1 has none.
///
/// A history file lists every ancestor of its timeline, so each timeline's path is read from its
/// own file alone, as PostgreSQL does with `recovery_target_timeline`.
public struct TimelineTree: Sendable {
    private let histories: [TimelineID: TimelineHistory]

    /// Builds the tree from decoded history files; timeline 1 is always part of it.
    public init(histories: [TimelineHistory]) {
        var byTimeline: [TimelineID: TimelineHistory] = [:]
        for history in histories { byTimeline[history.timeline] = history }
        self.histories = byTimeline
    }

    /// Reads every history file the archive holds.
    public static func load(from index: ArchiveIndex) throws -> TimelineTree {
        TimelineTree(histories: try index.historyTimelines.compactMap { try index.history(of: $0) })
    }

    /// Every known timeline, ascending: 1 and each one with a history file.
    public var timelines: [TimelineID] {
        ([TimelineID(1)] + histories.keys.filter { $0 != TimelineID(1) }).sorted()
    }

    public func contains(_ timeline: TimelineID) -> Bool {
        timeline == TimelineID(1) || histories[timeline] != nil
    }

    /// The timeline `timeline` forked from and the first LSN that is on `timeline`; nil for a root.
    public func parent(of timeline: TimelineID) -> TimelineHistory.Entry? {
        histories[timeline]?.entries.last
    }

    /// The path recovery walks to reach `timeline`; nil for an unknown timeline.
    public func path(to timeline: TimelineID, segmentSize: WALSegmentSize) -> TimelinePath? {
        guard contains(timeline) else { return nil }
        return TimelinePath(ancestors: histories[timeline]?.entries ?? [], target: timeline, segmentSize: segmentSize)
    }

    /// Whether WAL written on `timeline` up to `lsn` is also history of `target`: `timeline` is
    /// `target` or an ancestor that `target`'s line left at or after `lsn`. PostgreSQL refuses a
    /// target timeline that forked off before the backup's checkpoint ("not a child of this
    /// server's history").
    public func leads(from timeline: TimelineID, at lsn: LSN, to target: TimelineID) -> Bool {
        guard contains(target) else { return false }
        if timeline == target { return true }
        guard let exit = exit(from: timeline, toward: target) else { return false }
        return lsn <= exit
    }

    /// The newest (highest) timeline whose history passes through `timeline` at `lsn`:
    /// PostgreSQL's `latest`, restricted to timelines recovery can actually follow.
    public func latest(from timeline: TimelineID, at lsn: LSN) -> TimelineID {
        timelines.last { leads(from: timeline, at: lsn, to: $0) } ?? timeline
    }

    /// Every known timeline whose history passes through `timeline` at `lsn`, ascending.
    public func descendants(of timeline: TimelineID, at lsn: LSN) -> [TimelineID] {
        timelines.filter { leads(from: timeline, at: lsn, to: $0) }
    }

    /// The switchpoint at which `target`'s line leaves its ancestor `timeline`; nil when
    /// `timeline` is not an ancestor of `target`.
    private func exit(from timeline: TimelineID, toward target: TimelineID) -> LSN? {
        guard let entries = histories[target]?.entries else { return nil }
        return entries.first { $0.parent == timeline }?.switchpoint
    }
}
