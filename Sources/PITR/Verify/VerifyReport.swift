import PITRSupport

/// What `verify` found: the counts checked and every problem, as text or JSON.
public struct VerifyReport: Equatable, Sendable {
    public let time: UTCTime
    public let deep: Bool
    public let backups: Int
    public let backupObjects: Int
    public let walFiles: Int
    public let problems: [VerifyProblem]
    /// Sound objects still of format 1 (written before objects were bound to their names; docs/format.md).
    public var formatOneObjects = 0

    public var isSound: Bool { problems.isEmpty }

    public var gaps: [WALGap] {
        problems.compactMap { if case .walGap(let gap) = $0 { return gap } else { return nil } }
    }

    public var text: String {
        var lines = problems.map { "problem: \($0.description)" }
        lines.append("checked \(backups) backups (\(backupObjects) objects) and \(walFiles) WAL files"
                     + (deep ? ", each decoded and authenticated" : ", headers and trailers") + ": "
                     + (isSound ? "all is well" : "\(problems.count) problem\(problems.count == 1 ? "" : "s")"))
        if formatOneObjects > 0 {
            lines.append("\(formatOneObjects) object\(formatOneObjects == 1 ? " is" : "s are") of format 1, written before objects were bound to their names: "
                         + "they stay readable, and go as retention deletes them")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public var json: String {
        func string(_ text: String) -> String { text.jsonLiteral }
        let problems = self.problems.map { problem -> String in
            var fields = ["\"kind\":\(string(problem.kind))", "\"subject\":\(string(problem.subject))", "\"message\":\(string(problem.description))"]
            if case .walGap(let gap) = problem {
                fields += ["\"timeline\":\(gap.timeline.rawValue)", "\"first\":\(string(gap.first.fileName))",
                           "\"last\":\(string(gap.last.fileName))", "\"segments\":\(gap.count)",
                           "\"after\":" + (gap.after.map { string($0.iso8601) } ?? "null"),
                           "\"until\":" + (gap.until.map { string($0.iso8601) } ?? "null")]
            }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"ok\":\(isSound),\"time\":\(string(time.iso8601)),\"deep\":\(deep),\"backups\":\(backups),"
            + "\"backup_objects\":\(backupObjects),\"wal_files\":\(walFiles),\"format1_objects\":\(formatOneObjects),"
            + "\"problems\":[" + problems.joined(separator: ",") + "]}\n"
    }
}
