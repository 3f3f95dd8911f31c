import PITRSupport

/// `status` on a terminal: one fact per line, then the backups with the classes keeping them.
public enum StatusText {
    public static func render(_ status: RepositoryStatus) -> String {
        func bytes(_ n: Int) -> String { String(byteCount: n) }
        func age(_ seconds: Int64?) -> String { seconds.map { String(age: $0) + " ago" } ?? "none" }
        var lines: [String] = []
        for cluster in status.clusters {
            lines.append("cluster           \(cluster.description)" + (cluster.identity == status.current?.identity && status.clusters.count > 1 ? " (current)" : ""))
        }
        if let newest = status.newestBackup {
            lines.append("newest backup     \(newest.name), finished \(newest.stopTime.iso8601), \(age(status.backupAge))")
        } else {
            lines.append("newest backup     none")
        }
        if let segment = status.newestSegment {
            lines.append("newest WAL        \(segment.fileName), archived \(status.newestSegmentTime?.iso8601 ?? "at an unknown time"), \(age(status.walAge)) (the RPO now)")
        } else {
            lines.append("newest WAL        none")
        }
        if let dump = status.newestDump {
            lines.append("newest dump       \(dump.name), finished \(dump.stopTime.iso8601), \(age(status.dumpAge)), \(dump.databases.count) databases, "
                         + "\(status.dumps.count) dump runs in all")
        } else {
            lines.append("newest dump       " + (status.dumpProblem.map { "unknown: \($0)" } ?? "none"))
        }
        if let window = status.window {
            lines.append("recoverable       \(window.start.iso8601) .. \(window.end.iso8601)"
                         + (window.endIsCommit ? " (the newest commit)" : " (when the newest WAL was archived; its last commit is earlier)"))
        } else {
            lines.append("recoverable       nothing: no backup anchors a window")
        }
        for gap in status.gaps { lines.append("gap               \(gap.description)") }
        lines.append("repository        \(bytes(status.totalBytes)): " + status.bytesByKind.map { "\($0.kind) \(bytes($0.bytes))" }.joined(separator: ", "))
        lines.append("storage classes   " + status.bytesByStorageClass.map { "\($0.storageClass) \(bytes($0.bytes))" }.joined(separator: ", "))
        if let bill = status.bill {
            lines.append("monthly bill      " + bill.summary)
            lines.append("bill assumes      " + bill.assumptions)
        }
        lines.append("archive rate      \(status.segmentsLastDay) segments in the last 24 h (\(String(format1: status.segmentsPerHour))/h)")
        if let verify = status.lastVerify {
            lines.append("last verify       \(verify.time.iso8601): " + (verify.sound ? "all well" : "\(verify.problems) problems") + (verify.deep ? " (deep)" : ""))
        } else {
            lines.append("last verify       never")
        }
        if !status.drills.isEmpty {
            lines.append("restore drills    " + status.drills.reversed().map {
                "\($0.time.iso8601) \(Stopwatch.text($0.totalSeconds))" + ($0.passed ? "" : " FAILED")
            }.joined(separator: ", "))
        }
        if let window = status.lastWindow {
            let proven = window.provenStart.flatMap { start in window.provenEnd.map { "\(start.utcTime.iso8601) .. \($0.utcTime.iso8601)" } }
                ?? "nothing"
            lines.append("proven window     \(proven) (verify --window \(window.time.iso8601))"
                         + (window.unprovableStretches == 0 ? "" : "; \(window.unprovableStretches) unprovable, \(String(age: window.unprovableSeconds))"))
        }
        lines.append("")
        let width = status.backups.map(\.name.count).max() ?? 0
        let type = { (backup: RepositoryStatus.Backup) in backup.parent.map { "incremental on \($0)" } ?? "full" }
        let typeWidth = status.backups.map { type($0).count }.max() ?? 0
        for backup in status.backups.reversed() {
            lines.append("\(backup.name.padding(width))  \(backup.cluster.archiveID)  \(backup.stopTime.iso8601)  \(bytes(backup.storedBytes).padding(10))  "
                         + "\(type(backup).padding(typeWidth))  "
                         + (backup.classes.isEmpty ? "- (next delete removes it)" : backup.classes.map(\.rawValue).joined(separator: ",")))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
