import PITRSupport

/// `status --html FILE`: one self-contained page (inline CSS and SVG, no external assets) with the
/// dashboard's facts, and the recoverable window drawn as timelines: backups as marks, WAL
/// coverage as a green bar, gaps in red. One timeline spans every backup, one zooms on the window.
public enum StatusHTML {
    public static func render(_ status: RepositoryStatus) -> String {
        func bytes(_ n: Int) -> String { String(byteCount: n) }
        var facts: [(String, String)] = []
        facts.append(("Newest backup", status.newestBackup.map { "\($0.name), \($0.stopTime.iso8601) (\(String(age: status.backupAge ?? 0)) ago)" } ?? "none"))
        facts.append(("Newest dump", status.newestDump.map { "\($0.name), \($0.stopTime.iso8601) (\(String(age: status.dumpAge ?? 0)) ago), \($0.databases.count) databases" } ?? status.dumpProblem.map { "unknown: \($0)" } ?? "none"))
        facts.append(("Newest WAL (RPO)", status.newestSegment.map { "\($0.fileName), \(status.newestSegmentTime?.iso8601 ?? "?") (\(String(age: status.walAge ?? 0)) ago)" } ?? "none"))
        facts.append(("Recoverable window", status.window.map { "\($0.start.iso8601) .. \($0.end.iso8601)" } ?? "none"))
        facts.append(("Gaps", status.gaps.isEmpty ? "none" : status.gaps.map(\.description).joined(separator: "; ")))
        facts.append(("Repository", "\(bytes(status.totalBytes)): " + status.bytesByKind.map { "\($0.kind) \(bytes($0.bytes))" }.joined(separator: ", ")))
        facts.append(("Storage classes", status.bytesByStorageClass.map { "\($0.storageClass) \(bytes($0.bytes))" }.joined(separator: ", ")))
        if let bill = status.bill {
            facts.append(("Monthly bill", bill.summary))
            facts.append(("Bill assumes", bill.assumptions))
        }
        facts.append(("Archive rate", "\(status.segmentsLastDay) segments in 24 h (\(String(format1: status.segmentsPerHour))/h)"))
        facts.append(("Last verify", status.lastVerify.map { "\($0.time.iso8601): " + ($0.sound ? "all well" : "\($0.problems) problems") } ?? "never"))

        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>tailtown-pitr status</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
            h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
            table{border-collapse:collapse}td,th{padding:.25em .8em;text-align:left;border-bottom:1px solid #ddd}
            th{background:#f4f4f4}.bad{color:#b00020;font-weight:bold}svg{display:block;margin:.5em 0}
            .legend span{display:inline-block;margin-right:1.2em}.sw{display:inline-block;width:1em;height:.8em;margin-right:.3em;vertical-align:middle}
            </style></head><body>
            <h1>tailtown-pitr status at \(escape(status.time.iso8601))</h1>
            <table>
            """
        for (name, value) in facts {
            let bad = name == "Gaps" && !status.gaps.isEmpty || name == "Last verify" && status.lastVerify?.sound == false
            page += "<tr><th>\(escape(name))</th><td\(bad ? " class=\"bad\"" : "")>\(escape(value))</td></tr>\n"
        }
        page += "</table>\n"
        page += "<p class=\"legend\"><span><i class=\"sw\" style=\"background:#2e7d32\"></i>WAL coverage</span>"
            + "<span><i class=\"sw\" style=\"background:#d32f2f\"></i>gap</span>"
            + "<span><i class=\"sw\" style=\"background:#1565c0\"></i>backup (daily/newest)</span>"
            + "<span><i class=\"sw\" style=\"background:#6a1b9a\"></i>backup kept weekly, monthly, yearly or permanent</span>"
            + "<span><i class=\"sw\" style=\"background:#9e9e9e\"></i>backup the next delete removes</span></p>\n"
        let first = ([status.window?.start] + status.backups.map(\.stopTime)).compactMap { $0 }.min() ?? status.time
        page += "<h2>All backups</h2>\n" + timeline(status, from: first, to: status.time)
        if let window = status.window {
            let from = UTCTime(secondsSinceEpoch: window.start.secondsSinceEpoch - max(3600, (status.time.secondsSinceEpoch - window.start.secondsSinceEpoch) / 20))
            page += "<h2>Recoverable window</h2>\n" + timeline(status, from: from, to: status.time)
        }
        page += "<h2>Backups</h2>\n<table><tr><th>Name</th><th>Finished (UTC)</th><th>Stored</th><th>Timeline</th><th>Kept as</th></tr>\n"
        for backup in status.backups.reversed() {
            page += "<tr><td>\(escape(backup.name))</td><td>\(escape(backup.stopTime.iso8601))</td><td>\(escape(bytes(backup.storedBytes)))</td>"
                + "<td>\(backup.timeline)</td><td>\(escape(backup.classes.isEmpty ? "- (next delete removes it)" : backup.classes.map(\.rawValue).joined(separator: ", ")))</td></tr>\n"
        }
        page += "</table>\n</body></html>\n"
        return page
    }

    /// An SVG timeline from `start` to `end`: axis, coverage bar, gaps, backup marks with tooltips.
    static func timeline(_ status: RepositoryStatus, from start: UTCTime, to end: UTCTime) -> String {
        let width = 960.0, left = 10.0, right = 950.0
        let span = Double(max(1, end.secondsSinceEpoch - start.secondsSinceEpoch))
        func x(_ time: UTCTime) -> Double {
            let fraction = Double(time.secondsSinceEpoch - start.secondsSinceEpoch) / span
            return left + (right - left) * min(1, max(0, fraction))
        }
        func n(_ value: Double) -> String { String(Int(value.rounded())) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"90\" viewBox=\"0 0 \(n(width)) 90\" role=\"img\">\n"
        svg += "<line x1=\"\(n(left))\" y1=\"60\" x2=\"\(n(right))\" y2=\"60\" stroke=\"#555\"/>\n"
        if let window = status.window {
            svg += "<rect x=\"\(n(x(window.start)))\" y=\"40\" width=\"\(n(max(2, x(window.end) - x(window.start))))\" height=\"14\" fill=\"#2e7d32\">"
                + "<title>WAL coverage \(escape(window.start.iso8601)) .. \(escape(window.end.iso8601))</title></rect>\n"
        }
        for gap in status.gaps {
            let from = gap.after ?? start, to = gap.until ?? end
            svg += "<rect x=\"\(n(x(from)))\" y=\"36\" width=\"\(n(max(3, x(to) - x(from))))\" height=\"22\" fill=\"#d32f2f\">"
                + "<title>\(escape(gap.description))</title></rect>\n"
        }
        for backup in status.backups where backup.stopTime >= start {
            let color = backup.classes.isEmpty ? "#9e9e9e"
                : backup.classes.contains(.daily) || backup.classes.contains(.newest) ? "#1565c0" : "#6a1b9a"
            svg += "<circle cx=\"\(n(x(backup.stopTime)))\" cy=\"24\" r=\"5\" fill=\"\(color)\">"
                + "<title>\(escape(backup.name)) \(escape(backup.stopTime.iso8601)) \(escape(backup.classes.map(\.rawValue).joined(separator: ",")))</title></circle>\n"
        }
        svg += "<text x=\"\(n(left))\" y=\"80\" font-size=\"11\">\(escape(start.iso8601))</text>\n"
        svg += "<text x=\"\(n(right))\" y=\"80\" font-size=\"11\" text-anchor=\"end\">\(escape(end.iso8601))</text>\n"
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        text.escaping(["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"])
    }
}
