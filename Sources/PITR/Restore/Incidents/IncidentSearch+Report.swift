import PITRSupport
import PITRWAL

/// `incidents` as text (one block per incident) and as JSON.
extension IncidentSearch {
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
            let database = incident.databaseName.map { "\($0) (\(incident.database))" } ?? String(incident.database)
            lines.append("\(incident.id)  \(incident.kind.rawValue)  committed \(incident.commitTime)  xid \(incident.xid)  database \(database)")
            for table in incident.tables {
                lines.append("  " + Self.describe(table))
            }
            for table in incident.tables {
                if let why = table.nameUnknown { lines.append("  relation file \(table.file) is shown by number: \(why)") }
            }
            lines.append("  restore: " + restoreCommand(incident))
        }
        lines.append("\(incidents.count) incident(s) in \(segmentsRead) segment(s) read.")
        lines += gapLines
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        let items = incidents.map { incident in
            let tables = incident.tables.map { table in
                "{\"relation_file\":\(table.file.description.jsonLiteral),\"tablespace\":\(table.file.tablespace),\"database\":\(table.file.database),"
                    + "\"file\":\(table.file.number),\"name\":\(table.name?.qualified.jsonLiteral ?? "null"),\"schema\":\(table.name?.schema.jsonLiteral ?? "null"),"
                    + "\"table\":\(table.name?.table.jsonLiteral ?? "null"),\"name_unknown_because\":\(table.nameUnknown?.jsonLiteral ?? "null"),\"dropped\":\(table.dropped),\"rows_deleted\":\(table.rowsDeleted),"
                    + "\"rows_updated\":\(table.rowsUpdated),\"pages\":\(table.pages)}"
            }
            let arguments = incident.restoreArguments(namingCluster: namingCluster, namingTimeline: namingTimeline).map(\.jsonLiteral)
            return "{\"id\":\(incident.id.jsonLiteral),\"kind\":\(incident.kind.rawValue.jsonLiteral),\"cluster\":\(incident.cluster.archiveID.jsonLiteral),"
                + "\"timeline\":\(incident.timeline.rawValue),\"commit_lsn\":\(incident.commitLSN.description.jsonLiteral),"
                + "\"commit_time\":\(incident.commitTime.description.jsonLiteral),\"xid\":\(incident.xid),\"database\":\(incident.database),"
                + "\"database_name\":\(incident.databaseName?.jsonLiteral ?? "null"),\"tables\":[\(tables.joined(separator: ","))],"
                + "\"restore_arguments\":[\(arguments.joined(separator: ","))],\"restore_command\":\(restoreCommand(incident).jsonLiteral)}"
        }
        let holes = gaps.map { "{\"after\":\($0.after.fileName.jsonLiteral),\"before\":\($0.before.fileName.jsonLiteral)}" }
        return "{\"incidents\":[\(items.joined(separator: ","))],\"segments_read\":\(segmentsRead),\"gaps\":[\(holes.joined(separator: ","))]}\n"
    }

    static func describe(_ table: Incident.Table) -> String {
        var parts: [String] = []
        if table.dropped { parts.append("dropped") }
        if table.rowsDeleted > 0 { parts.append("\(table.rowsDeleted) rows deleted") }
        if table.rowsUpdated > 0 { parts.append("\(table.rowsUpdated) rows updated") }
        if table.pages > 0 { parts.append("on \(table.pages) pages") }
        return (table.name.map { "\($0.qualified) (relation file \(table.file))" } ?? "relation file \(table.file)") + ": " + parts.joined(separator: ", ")
    }
}
