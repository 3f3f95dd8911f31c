import PITRBackup
import PITRRestore
import PITRWAL

/// The stretch logic of `verify --window` for one cluster's archive, over verdicts given per segment copy (the
/// verifier reads and decodes; tests give synthetic verdicts).
///
/// A point on the leg of timeline T (from T's switchpoint to the end of its archived WAL) can be restored when a
/// backup leads to T (its start and stop lie on T's line) and stopped at or before the point, and every segment
/// recovery reads on T's line, from the backup's start to the point, is sound. The promised window on T's leg
/// starts at the stop of the oldest backup anchoring the window (kept as daily, or the newest) that leads to T;
/// a leg no such backup leads to is promised whole unless its WAL all lies before the window. A timeline whose
/// history file is missing cannot be followed: its WAL is unprovable.
struct WindowStretches {
    let tree: TimelineTree
    let segmentSize: WALSegmentSize
    /// Archived segment numbers by timeline.
    let archived: [TimelineID: [UInt64]]
    let backups: [BackupDescriptor]
    let anchors: [BackupDescriptor]
    /// The stop of the oldest anchoring backup: WAL all older than it lies before the promised window.
    let windowStart: PostgresTimestamp?
    let historyObject: (TimelineID) -> String
    let verdict: (WALSegmentName) -> SegmentVerdict

    static func stopMoment(of backup: BackupDescriptor) -> PostgresTimestamp {
        backup.stopMoment ?? PostgresTimestamp(unixSeconds: backup.stopTime.secondsSinceEpoch)
    }

    func stretches() -> [WindowStretch] {
        archived.keys.sorted().flatMap { timeline in
            tree.contains(timeline) ? leg(of: timeline) : unfollowable(timeline)
        }
    }

    /// The WAL of a timeline without its history file.
    private func unfollowable(_ timeline: TimelineID) -> [WindowStretch] {
        let numbers = (archived[timeline] ?? []).sorted()
        guard let first = numbers.first, let last = numbers.last else { return [] }
        let facts = numbers.compactMap { verdict(segment(timeline, $0)).facts }
        let newest = facts.compactMap(\.lastCommit).max()
        if let newest, let windowStart, newest < windowStart { return [] }
        return [WindowStretch(timeline: timeline, start: startLSN(first), end: facts.last?.end ?? startLSN(last + 1),
                              startTime: facts.compactMap(\.firstCommit).min(), endTime: newest,
                              cause: "timeline \(timeline) has no history file: recovery cannot follow it; push it again from the server's pg_wal",
                              object: historyObject(timeline))]
    }

    /// The proven and unprovable stretches of the promised window on the leg of `timeline`.
    private func leg(of timeline: TimelineID) -> [WindowStretch] {
        guard let path = tree.path(to: timeline, segmentSize: segmentSize) else { return [] }
        let legBegin = tree.parent(of: timeline)?.switchpoint ?? .zero
        let numbers = (archived[timeline] ?? []).filter { $0 >= path.segmentNumber(legBegin) }
        guard let last = numbers.max() else { return [] }
        let line = Line(stretches: self, path: path, last: last, floor: archived.values.compactMap { $0.min() }.min() ?? 0)
        let legEnd = max(legBegin, line.end)
        let leading = backups.filter { leads($0, to: timeline) }
        let anchoring = anchors.filter { leads($0, to: timeline) }
        var promisedStart = legBegin
        if let oldest = anchoring.map(\.stopLSN).min() {
            promisedStart = max(legBegin, oldest)
        } else if let newest = line.time(before: legEnd), let windowStart, newest < windowStart {
            return []
        }
        guard promisedStart < legEnd else { return [] }

        var proven: [(start: LSN, end: LSN)] = []
        for backup in leading {
            let reach = line.firstBlock(from: path.segmentNumber(backup.startLSN)).map { startLSN($0.number) } ?? legEnd
            let from = max(backup.stopLSN, promisedStart), to = min(reach, legEnd)
            if from < to { proven.append((from, to)) }
        }
        proven.sort { $0.start < $1.start }
        var merged: [(start: LSN, end: LSN)] = []
        for interval in proven {
            if let previous = merged.last, interval.start <= previous.end {
                merged[merged.count - 1].end = max(previous.end, interval.end)
            } else {
                merged.append(interval)
            }
        }
        var result: [WindowStretch] = []
        var position = promisedStart
        for interval in merged + [(start: legEnd, end: legEnd)] {
            if position < interval.start {
                result.append(unprovable(timeline, from: position, to: interval.start, line: line, leading: leading))
            }
            if interval.start < interval.end {
                result.append(WindowStretch(timeline: timeline, start: interval.start, end: interval.end,
                                            startTime: time(at: interval.start, line: line, leading: leading),
                                            endTime: line.time(before: interval.end), cause: nil, object: nil))
            }
            position = max(position, interval.end)
        }
        return result
    }

    /// The stretch `start..<end` no backup reaches, with the cause: what blocks the newest backup before it.
    private func unprovable(_ timeline: TimelineID, from start: LSN, to end: LSN, line: Line,
                            leading: [BackupDescriptor]) -> WindowStretch {
        var cause = "no backup on the line of timeline \(timeline) ends before it"
        var object: String?
        if let backup = leading.filter({ $0.stopLSN <= start }).max(by: { $0.stopLSN < $1.stopLSN }),
           let block = line.firstBlock(from: line.path.segmentNumber(backup.startLSN)) {
            cause = block.cause
            object = block.object
        }
        return WindowStretch(timeline: timeline, start: start, end: end, startTime: time(at: start, line: line, leading: leading),
                             endTime: time(at: end, line: line, leading: leading) ?? line.time(before: end), cause: cause, object: object)
    }

    /// A backup's stop moment when one stops at `lsn`, else the newest commit before it.
    private func time(at lsn: LSN, line: Line, leading: [BackupDescriptor]) -> PostgresTimestamp? {
        if let backup = leading.first(where: { $0.stopLSN == lsn }) { return Self.stopMoment(of: backup) }
        return line.time(before: lsn)
    }

    private func leads(_ backup: BackupDescriptor, to timeline: TimelineID) -> Bool {
        tree.leads(from: backup.timeline, at: backup.startLSN, to: timeline)
            && tree.leads(from: backup.stopTimeline, at: backup.stopLSN, to: timeline)
    }

    fileprivate func segment(_ timeline: TimelineID, _ number: UInt64) -> WALSegmentName {
        WALSegmentName(timeline: timeline, number: number, segmentSize: segmentSize)
    }

    fileprivate func startLSN(_ number: UInt64) -> LSN { LSN(number &* segmentSize.bytes) }
}

/// The segments recovery reads on one timeline's line, up to the last archived one of its leg.
private struct Line {
    struct Block {
        let number: UInt64
        let cause: String
        let object: String
    }

    let stretches: WindowStretches
    let path: TimelinePath
    let last: UInt64
    /// The lowest segment number archived on any timeline: nothing older is dated.
    let floor: UInt64

    /// The end of the readable WAL of the last segment.
    var end: LSN { stretches.verdict(path.segment(last)).facts?.end ?? stretches.startLSN(last + 1) }

    /// The first segment from `first` on that recovery cannot read through: missing, unreadable, or (before the last)
    /// ending early.
    func firstBlock(from first: UInt64) -> Block? {
        guard first <= last else { return nil }
        for number in first...last {
            let segment = path.segment(number)
            switch stretches.verdict(segment) {
            case .missing(let object):
                return Block(number: number, cause: "WAL segment \(segment.fileName) is missing", object: object)
            case .bad(let object, let reason):
                return Block(number: number, cause: reason, object: object)
            case .sound(let facts):
                if number < last, facts.end < stretches.startLSN(number + 1) {
                    // A record crossing into a next segment that is missing or unreadable: that one is the cause.
                    if let next = firstBlock(from: number + 1), next.number == number + 1, stretches.verdict(path.segment(number + 1)).facts == nil {
                        return next
                    }
                    return Block(number: number, cause: "the readable WAL of segment \(segment.fileName) ends at \(facts.end), before its end, yet later segments follow",
                                 object: segment.fileName)
                }
            }
        }
        return nil
    }

    /// The newest commit in the sound segments before `lsn` (including the one holding it, unless it starts there).
    func time(before lsn: LSN) -> PostgresTimestamp? {
        let segmentBytes = stretches.segmentSize.bytes
        guard lsn.rawValue > 0 else { return nil }
        var number = min((lsn.rawValue - 1) / segmentBytes, last)
        while true {
            if let time = stretches.verdict(path.segment(number)).facts?.lastCommit { return time }
            if number <= floor { return nil }
            number -= 1
        }
    }
}
