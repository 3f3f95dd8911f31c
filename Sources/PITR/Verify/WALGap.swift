import PITRBackup
import PITRRepository
import PITRRestore
import PITRSupport
import PITRWAL

/// A run of consecutive segments a backup needs but the archive lacks, with the stretch of the
/// recoverable window it cuts out: no point after `after` can be reached through it (the newest
/// commit decoded from the segment just before it, else the stop of the newest backup before it),
/// and restoring works again from `until`, the stop of the first backup that starts past it.
/// Either is nil when nothing bounds that side.
public struct WALGap: Equatable, Sendable {
    public let archive: ClusterIdentity
    public let first: WALSegmentName
    public let last: WALSegmentName
    public let count: Int
    public var after: UTCTime?
    public let until: UTCTime?

    public var timeline: TimelineID { first.timeline }

    /// Groups `missing` (sorted) into runs and dates each from `backups`.
    public static func gaps(missing: [WALSegmentName], archive: ClusterIdentity, segmentSize: WALSegmentSize,
                            backups: [BackupDescriptor]) -> [WALGap] {
        var runs: [(first: WALSegmentName, last: WALSegmentName, count: Int)] = []
        for segment in missing {
            if let run = runs.last, run.last.timeline == segment.timeline, run.last.next(segmentSize) == segment {
                runs[runs.count - 1] = (run.first, segment, run.count + 1)
            } else {
                runs.append((segment, segment, 1))
            }
        }
        let own = backups.filter { $0.identity == archive }
        return runs.map { run in
            let start = run.first.startLSN(segmentSize)
            let end = run.last.next(segmentSize).startLSN(segmentSize)
            return WALGap(archive: archive, first: run.first, last: run.last, count: run.count,
                          after: own.filter { $0.stopLSN <= start }.map(\.stopTime).max(),
                          until: own.filter { $0.startLSN >= end }.map(\.stopTime).min())
        }
    }

    /// Moves `after` to the newest commit in the segment just before the gap, when `locator`
    /// finds one there (it is later than any backup's stop before the gap, or equal).
    mutating func refine(with locator: WALEventLocator, index: ArchiveIndex) {
        let number = first.number(index.segmentSize)
        guard number > 0 else { return }
        let previous = WALSegmentName(timeline: first.timeline, number: number - 1, segmentSize: index.segmentSize)
        guard index.contains(.segment(previous)), let event = try? locator.newestEvent(in: [previous]) else { return }
        after = max(after ?? event.time.utcTime, event.time.utcTime)
    }

    public var description: String {
        let range = count == 1 ? first.fileName : "\(first.fileName)..\(last.fileName)"
        let cut = "cuts the recoverable window from " + (after.map { "after \($0.iso8601)" } ?? "its start")
            + " until " + (until.map { $0.iso8601 } ?? "now")
        return "WAL gap in \(archive.archiveID) timeline \(timeline): \(range) (\(count) segment\(count == 1 ? "" : "s")) missing; \(cut)"
    }
}
