import PITRWAL

extension RestorePlan {
    /// The printed plan, one line per fact, as `restore --dry-run` shows it.
    public var report: [String] { report(estimate: .assumed) }

    /// The printed plan with the estimate made at `estimate`'s rates.
    public func report(estimate: RestoreEstimate) -> [String] {
        var lines = [
            "target: \(request.target.text)\(request.exclusive ? ", exclusive" : "")",
            "backup: \(backup.name)\(backup.parent.map { ", incremental on \($0)" } ?? ""), ended \(backup.stopTime.iso8601) at \(backup.stopLSN) on timeline \(backup.stopTimeline)",
            "timeline path: \(pathText) (recovery_target_timeline = \(targetTimeline))",
        ]
        if let first = segments.first, let last = segments.last {
            lines.append("WAL: \(first) to \(last), \(segments.count) segment\(segments.count == 1 ? "" : "s")"
                + (histories.isEmpty ? "" : " and " + histories.map { WALFileName.history($0).fileName }.joined(separator: ", ")))
        }
        lines.append("download: \(Self.bytes(backupStoredBytes + walStoredBytes)) (backup \(Self.bytes(backupStoredBytes)), WAL \(Self.bytes(walStoredBytes)))")
        lines.append("estimate: \(estimate.text(for: self))")
        lines += archivedReport
        lines.append("stop: \(stopText)")
        if let heldLocks { lines += heldLocks.report() }
        return lines
    }

    /// "1 -> 2 at 0/5000028 -> 3 at 0/7000060", or "1".
    var pathText: String {
        var text = path.first.map { $0.timeline.description } ?? targetTimeline.description
        for stretch in path.dropFirst() { text += " -> \(stretch.timeline) at \(stretch.start)" }
        return text
    }

    private var stopText: String {
        switch request.target {
        case .latest:
            let end = path.last.map { " at \($0.end)" } ?? ""
            let newest = newestRestorableTime.map { ", newest commit \($0)" } ?? ""
            return "the end of the archived WAL on timeline \(targetTimeline)\(end)\(newest)"
        case .immediate:
            return "the end of the backup at \(backup.stopLSN) (\(backup.stopTime.iso8601))"
        case .time, .xid, .name, .lsn:
            if let last = searchSegments.last, stop == nil {
                return "placed once the WAL in archive storage classes is thawed: the search for the target reads it up to \(last), "
                    + "so the WAL and download above are the most the restore reads"
            }
            guard let stop else { return "unknown" }
            var facts = ["\(stop.lsn)"]
            if let time = stop.time { facts.append(time.description) }
            if let xid = stop.xid { facts.append("xid \(xid)") }
            return stopPlacement + " " + facts.joined(separator: ", ")
        }
    }

    /// Whether recovery replays the stop record: PostgreSQL stops before the first commit after a
    /// time, after a restore point, and before or after an xid's commit as `--exclusive` says.
    private var stopPlacement: String {
        switch request.target {
        case .time: "just before the first commit or abort \(request.exclusive ? "at or " : "")after the target, the record at"
        case .name: "just after the restore point at"
        case .lsn: (request.exclusive ? "just before" : "just after") + " the first record at or after"
        default: request.exclusive ? "just before the transaction's end record at" : "just after the transaction's end record at"
        }
    }

    private static func bytes(_ count: Int) -> String { String(byteCount: count) }
}
