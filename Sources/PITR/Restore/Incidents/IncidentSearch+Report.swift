import PITRSupport
import PITRWAL

/// `incidents` as text (one block per incident) and as JSON.
extension IncidentSearch {
    /// Why tables appear as relation files: said under every listing that has tables.
    public static let namesNote = "Tables are shown by relation file (tablespace/database/file): this repository holds no map from "
        + "relation files to names yet, so the names they had cannot be known. In a copy restored to before the incident, "
        + "select relfilenode, oid::regclass from pg_class names them. Databases are shown by OID for the same reason."

    /// The restore command line for `incident`; DIR is the data directory to create.
    public func restoreCommand(_ incident: Incident) -> String {
        (["tailtown-pitr", "restore"] + incident.restoreArguments(namingCluster: namingCluster, namingTimeline: namingTimeline)
            + ["--target-dir", "DIR"]).joined(separator: " ")
    }

    /// One line per hole in the archive within the segments read.
    var gapLines: [String] {
        gaps.map { "WAL missing between \($0.after.fileName) and \($0.before.fileName): incidents there cannot be known." }
    }

    public func text() -> String {
        guard !incidents.isEmpty else {
            return (["No incidents: no committed DROP, TRUNCATE, DROP DATABASE or large DELETE/UPDATE in \(segmentsRead) segment(s) read."]
                + gapLines).joined(separator: "\n") + "\n"
        }
        var lines: [String] = []
        for incident in incidents {
            lines.append("\(incident.id)  \(incident.kind.rawValue)  committed \(incident.commitTime)  xid \(incident.xid)  database \(incident.database)")
            for table in incident.tables {
                lines.append("  " + Self.describe(table))
            }
            lines.append("  restore: " + restoreCommand(incident))
        }
        lines.append("\(incidents.count) incident(s) in \(segmentsRead) segment(s) read.")
        lines += gapLines
        if incidents.contains(where: { !$0.tables.isEmpty || $0.kind == .dropDatabase }) { lines.append(Self.namesNote) }
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        let items = incidents.map { incident in
            let tables = incident.tables.map { table in
                "{\"relation_file\":\(table.file.description.jsonLiteral),\"tablespace\":\(table.file.tablespace),\"database\":\(table.file.database),"
                    + "\"file\":\(table.file.number),\"name\":null,\"dropped\":\(table.dropped),\"rows_deleted\":\(table.rowsDeleted),"
                    + "\"rows_updated\":\(table.rowsUpdated),\"pages\":\(table.pages)}"
            }
            let arguments = incident.restoreArguments(namingCluster: namingCluster, namingTimeline: namingTimeline).map(\.jsonLiteral)
            return "{\"id\":\(incident.id.jsonLiteral),\"kind\":\(incident.kind.rawValue.jsonLiteral),\"cluster\":\(incident.cluster.archiveID.jsonLiteral),"
                + "\"timeline\":\(incident.timeline.rawValue),\"commit_lsn\":\(incident.commitLSN.description.jsonLiteral),"
                + "\"commit_time\":\(incident.commitTime.description.jsonLiteral),\"xid\":\(incident.xid),\"database\":\(incident.database),"
                + "\"database_name\":null,\"tables\":[\(tables.joined(separator: ","))],"
                + "\"restore_arguments\":[\(arguments.joined(separator: ","))],\"restore_command\":\(restoreCommand(incident).jsonLiteral)}"
        }
        let holes = gaps.map { "{\"after\":\($0.after.fileName.jsonLiteral),\"before\":\($0.before.fileName.jsonLiteral)}" }
        return "{\"incidents\":[\(items.joined(separator: ","))],\"segments_read\":\(segmentsRead),\"gaps\":[\(holes.joined(separator: ","))],"
            + "\"names_unknown_because\":\(Self.namesNote.jsonLiteral)}\n"
    }

    static func describe(_ table: Incident.Table) -> String {
        var parts: [String] = []
        if table.dropped { parts.append("dropped") }
        if table.rowsDeleted > 0 { parts.append("\(table.rowsDeleted) rows deleted") }
        if table.rowsUpdated > 0 { parts.append("\(table.rowsUpdated) rows updated") }
        if table.pages > 0 { parts.append("on \(table.pages) pages") }
        return "relation file \(table.file): " + parts.joined(separator: ", ")
    }
}
