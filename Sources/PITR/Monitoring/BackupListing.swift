import PITRBackup
import PITRRetention
import PITRSupport

/// `backup-list` output: a table for people, JSON with every descriptor field for programs.
public enum BackupListing {
    /// Columns: name, cluster (`<major>-<system identifier>`: a pg_upgrade leaves two), finished at, age, type, parent ("-" for a
    /// full backup), the chain's length (the backups a restore reads; "broken" when one is missing), bytes stored against
    /// bytes represented (what a restore writes), LSN range, timeline, and the retention classes keeping it ("-": the next
    /// `delete` removes it); newest last.
    public static func table(_ backups: [BackupDescriptor], now: UTCTime, retention: RetentionClassification) -> String {
        let chains = BackupChains(backups)
        let header = ["NAME", "CLUSTER", "FINISHED (UTC)", "AGE", "TYPE", "PARENT", "CHAIN", "STORED / REPRESENTED", "LSN RANGE", "TL", "KEPT AS"]
        let rows = backups.map { backup in
            [backup.name, backup.identity.archiveID, backup.stopTime.iso8601, String(age: now.secondsSinceEpoch - backup.stopTime.secondsSinceEpoch),
             backup.type.rawValue, backup.parent ?? "-", String(chains.length(of: backup)) + (chains.isComplete(backup) ? "" : " broken"),
             String(byteCount: backup.storedBytes) + " / " + String(byteCount: backup.fullBytes),
             "\(backup.startLSN)-\(backup.stopLSN)", String(backup.timeline.rawValue), keptAs(backup, retention)]
        }
        return aligned([header] + rows)
    }

    /// Rows as columns two spaces apart, each as wide as its widest cell (the last left ragged): `backup-list`, `dump-list`.
    static func aligned(_ rows: [[String]]) -> String {
        let widths = (rows.first ?? []).indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { column in column == row.count - 1 ? row[column] : row[column].padding(widths[column]) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func keptAs(_ backup: BackupDescriptor, _ retention: RetentionClassification) -> String {
        let classes = retention.classes(of: backup.name)
        return classes.isEmpty ? "-" : classes.map(\.rawValue).joined(separator: ",")
    }

    /// A JSON array of objects, one per backup, with every descriptor field; `chain_length` and `chain_problem` (null, or
    /// why it cannot be restored); `retention`, the classes keeping it (empty: the next `delete` removes it), and
    /// `kept_until` (null when the next `delete` removes it, "never", or when the policy stops keeping it if no backup is taken).
    public static func json(_ backups: [BackupDescriptor], retention: RetentionClassification) -> String {
        func string(_ text: String) -> String { text.jsonLiteral }
        let chains = BackupChains(backups)
        let needs = RepositoryNeeds(classification: retention, archives: [])
        return "[" + backups.map { backup in
            let fields: [(String, String)] = [
                ("name", string(backup.name)),
                ("cluster", string(backup.identity.archiveID)),
                ("label", string(backup.label)),
                ("start_lsn", string(backup.startLSN.description)),
                ("stop_lsn", string(backup.stopLSN.description)),
                ("start_time", string(backup.startTime.iso8601)),
                ("stop_time", string(backup.stopTime.iso8601)),
                ("timeline", String(backup.timeline.rawValue)),
                ("stop_timeline", String(backup.stopTimeline.rawValue)),
                ("system_identifier", string(String(backup.systemIdentifier))),
                ("pg_version", String(backup.serverVersion)),
                ("segment_size", String(backup.segmentSize)),
                ("compression", string(backup.compression.rawValue)),
                ("cipher", string(backup.cipher)),
                ("key_id", string(backup.keyID)),
                ("raw_bytes", String(backup.rawBytes)),
                ("stored_bytes", String(backup.storedBytes)),
                ("type", string(backup.type.rawValue)),
                ("parent", backup.parent.map(string) ?? "null"),
                ("detection", backup.detection.map { string($0.rawValue) } ?? "null"),
                ("chain_length", String(chains.length(of: backup))),
                ("chain_problem", chains.problem(of: backup).map { string($0.description) } ?? "null"),
                ("represented_bytes", String(backup.fullBytes)),
                ("kept_until", needs.kept(backup.name).map { string($0.until.description) } ?? "null"),
                ("retention", "[" + retention.classes(of: backup.name).map { string($0.rawValue) }.joined(separator: ",") + "]"),
                ("tablespaces", "[" + backup.tablespaces.map { "{\"oid\":\($0.oid),\"location\":\(string($0.location))}" }.joined(separator: ",") + "]"),
                ("objects", "[" + backup.objects.map {
                    "{\"name\":\(string($0.name)),\"archive\":\(string($0.archive)),\"raw_bytes\":\($0.rawBytes),\"stored_bytes\":\($0.storedBytes)}"
                }.joined(separator: ",") + "]"),
            ]
            return "{" + fields.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        }.joined(separator: ",\n") + "]\n"
    }
}
