import PITRBackup
import PITRRepository
import PITRWAL

/// The WAL a set of backups needs from one cluster's archive, as segment ranges per timeline
/// (docs/operations.md, "Which WAL is kept"). `delete` removes what no range holds; `verify`
/// reports what a range holds but the archive lacks.
///
/// A backup that anchors the recoverable window (kept as daily, or the newest) needs every
/// segment from its start on, on its own timeline and on every timeline that branched off it
/// after its start (from that timeline's switchpoint on), up to the newest archived segment.
/// Any other backup needs the segments from its start to its stop, on its timeline.
/// Every history file is needed, and the `.backup` file of each backup.
public struct WALRequirements: Sendable {
    /// Segments `first...` on `timeline`; through `last` if given, else to the newest archived one
    /// (and at least through `atLeast`).
    public struct Range: Hashable, Sendable {
        public let timeline: TimelineID
        public let first: UInt64
        public let last: UInt64?
        public let atLeast: UInt64
    }

    public let segmentSize: WALSegmentSize
    public let ranges: [Range]
    public let backupFiles: Set<WALFileName>
    /// For each timeline with a history, where it left its parent.
    public let branches: [TimelineID: TimelineHistory.Entry]

    /// `anchors` need WAL continuously from their start; `others` only their start to stop.
    public init(anchors: [BackupDescriptor], others: [BackupDescriptor], histories: [TimelineHistory], segmentSize: WALSegmentSize) {
        func number(_ lsn: LSN) -> UInt64 { lsn.rawValue / segmentSize.bytes }
        var ranges: [Range] = []
        var backupFiles = Set<WALFileName>()
        for backup in anchors + others {
            let start = WALSegmentName.segment(containing: backup.startLSN, timeline: backup.timeline, segmentSize: segmentSize)
            backupFiles.insert(.backup(start, offset: UInt32(backup.startLSN.rawValue % segmentSize.bytes)))
        }
        for backup in others {
            ranges.append(Range(timeline: backup.timeline, first: number(backup.startLSN), last: number(backup.stopLSN),
                                atLeast: number(backup.stopLSN)))
        }
        for backup in anchors {
            ranges.append(Range(timeline: backup.timeline, first: number(backup.startLSN), last: nil,
                                atLeast: number(backup.stopLSN)))
            for history in histories {
                // A timeline descends from the backup when its ancestry leaves the backup's timeline after the backup began.
                guard let branch = history.entries.first(where: { $0.parent == backup.timeline }),
                      branch.switchpoint >= backup.startLSN, let own = history.entries.last else { continue }
                let first = number(own.switchpoint)
                ranges.append(Range(timeline: history.timeline, first: first, last: nil, atLeast: first))
            }
        }
        var branches: [TimelineID: TimelineHistory.Entry] = [:]
        for history in histories { branches[history.timeline] = history.entries.last }
        self.segmentSize = segmentSize
        self.ranges = ranges
        self.backupFiles = backupFiles
        self.branches = branches
    }

    /// Whether any backup needs `file`.
    public func needs(_ file: WALFileName) -> Bool {
        switch file {
        case .history:
            return true
        case .backup:
            return backupFiles.contains(file)
        case .segment(let segment), .partial(let segment):
            let n = segment.number(segmentSize)
            return ranges.contains { $0.timeline == segment.timeline && $0.first <= n && ($0.last.map { n <= $0 } ?? true) }
        }
    }

    /// The segments the ranges hold that `index` lacks, per timeline in WAL order. An open range ends
    /// at the newest archived segment of its timeline, or just before the switchpoint of a timeline
    /// branching off it, whichever is later.
    public func missingSegments(in index: ArchiveIndex) -> [WALSegmentName] {
        var present: [TimelineID: Set<UInt64>] = [:]
        for file in index.files.keys {
            if case .segment(let segment) = file { present[segment.timeline, default: []].insert(segment.number(segmentSize)) }
        }
        var missing = Set<WALSegmentName>()
        for range in ranges {
            let have = present[range.timeline] ?? []
            var last = range.last ?? max(range.atLeast, have.max() ?? 0)
            if range.last == nil {
                for (_, branch) in branches where branch.parent == range.timeline && branch.switchpoint.rawValue / segmentSize.bytes > 0 {
                    last = max(last, branch.switchpoint.rawValue / segmentSize.bytes - 1)
                }
            }
            guard range.first <= last else { continue }
            for n in range.first...last where !have.contains(n) {
                missing.insert(WALSegmentName(timeline: range.timeline, number: n, segmentSize: segmentSize))
            }
        }
        return missing.sorted()
    }
}
