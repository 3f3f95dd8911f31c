import PITRPipeline
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
    /// How many objects each key encrypted: the configured keys, then keys objects name that are not configured.
    public var keys: [KeyUse] = []
    /// Dumps checked, and their objects.
    public var dumps = 0
    public var dumpObjects = 0
    /// Retired keys that no object within retention needs any more.
    public var unneededKeys: [String] = []
    /// Objects in an archive storage class not read because they are not thawed, as described.
    public var archivedSkipped: [String] = []
    /// What `--thaw` requested for them.
    public var thawRequested: String?

    public struct KeyUse: Equatable, Sendable {
        public let keyID: String
        /// Nil for a key that no configured key file holds.
        public let status: Keyring.Status?
        public let objects: Int
    }

    static func unneededKeyNote(_ keyID: String) -> String {
        "key \(keyID) is no longer needed by any object within retention; keep an off-site copy, then remove it from key files"
    }

    public var isSound: Bool { problems.isEmpty }

    public var gaps: [WALGap] {
        problems.compactMap { if case .walGap(let gap) = $0 { return gap } else { return nil } }
    }

    public var text: String {
        var lines = problems.map { "problem: \($0.description)" }
        lines.append("checked \(backups) backups (\(backupObjects) objects), \(walFiles) WAL files and \(dumps) dumps (\(dumpObjects) objects)"
                     + (deep ? ", each decoded and authenticated" + (dumps > 0 ? " (each dump's archive read by pg_restore --list)" : "") : ", headers and trailers") + ": "
                     + (isSound ? "all is well" : "\(problems.count) problem\(problems.count == 1 ? "" : "s")"))
        if formatOneObjects > 0 {
            lines.append("\(formatOneObjects) object\(formatOneObjects == 1 ? " is" : "s are") of format 1, written before objects were bound to their names: "
                         + "they stay readable, and go as retention deletes them")
        }
        if !keys.isEmpty {
            lines.append("objects by key: " + keys.map { "\($0.keyID) (\($0.status?.rawValue ?? "not configured")) \($0.objects)" }.joined(separator: ", "))
        }
        lines += unneededKeys.map(Self.unneededKeyNote)
        if !archivedSkipped.isEmpty {
            let shown = archivedSkipped.prefix(10).joined(separator: ", ") + (archivedSkipped.count > 10 ? " and \(archivedSkipped.count - 10) more" : "")
            lines.append("skipped \(archivedSkipped.count) object\(archivedSkipped.count == 1 ? "" : "s") in an archive storage class, not thawed, so not read: \(shown)"
                         + (thawRequested == nil ? "; verify --thaw TIER requests their thaw for a later run" : ""))
        }
        if let thawRequested { lines.append(thawRequested + "; run verify again once thawed") }
        return lines.joined(separator: "\n") + "\n"
    }

    public var json: String { "{" + jsonFields + "}\n" }

    /// The fields of `json`, without its braces (`SecondVerification` puts the second's beside them).
    var jsonFields: String {
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
        return "\"ok\":\(isSound),\"time\":\(string(time.iso8601)),\"deep\":\(deep),\"backups\":\(backups),"
            + "\"backup_objects\":\(backupObjects),\"wal_files\":\(walFiles),\"dumps\":\(dumps),\"dump_objects\":\(dumpObjects),\"format1_objects\":\(formatOneObjects),"
            + "\"keys\":[" + keys.map { "{\"id\":\(string($0.keyID)),\"status\":\($0.status.map { string($0.rawValue) } ?? "null"),\"objects\":\($0.objects)}" }
                .joined(separator: ",") + "],"
            + "\"unneeded_keys\":[" + unneededKeys.map(string).joined(separator: ",") + "],"
            + "\"archived_skipped\":[" + archivedSkipped.map(string).joined(separator: ",") + "],"
            + "\"problems\":[" + problems.joined(separator: ",") + "]"
    }
}
