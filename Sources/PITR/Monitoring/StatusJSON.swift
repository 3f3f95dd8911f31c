import PITRRepository
import PITRSupport

/// `status --json`: every fact of the dashboard, times in ISO 8601 UTC, ages in seconds, sizes in bytes.
public enum StatusJSON {
    /// `copyLag`: the second repository's (TAILTOWN_REPO2), `"copy_lag": null` without one.
    public static func render(_ status: RepositoryStatus, copyLag: CopyLag? = nil) -> String {
        func string(_ text: String) -> String { text.jsonLiteral }
        func time(_ value: UTCTime?) -> String { value.map { string($0.iso8601) } ?? "null" }
        func number(_ value: Int64?) -> String { value.map { String($0) } ?? "null" }
        let backups = status.backups.map { backup in
            "{\"name\":\(string(backup.name)),\"cluster\":\(string(backup.cluster.archiveID)),\"stop_time\":\(time(backup.stopTime)),\"timeline\":\(backup.timeline.rawValue),"
                + "\"stored_bytes\":\(backup.storedBytes),\"represented_bytes\":\(backup.representedBytes),\"type\":\(string(backup.type.rawValue)),"
                + "\"parent\":\(backup.parent.map(string) ?? "null"),\"retention\":[" + backup.classes.map { string($0.rawValue) }.joined(separator: ",") + "]}"
        }
        let gaps = status.gaps.map { gap in
            "{\"archive\":\(string(gap.archive.archiveID)),\"timeline\":\(gap.timeline.rawValue),\"first\":\(string(gap.first.fileName)),"
                + "\"last\":\(string(gap.last.fileName)),\"segments\":\(gap.count),\"after\":\(time(gap.after)),\"until\":\(time(gap.until))}"
        }
        let clusters = status.clusters.map { cluster in
            "{\"cluster\":\(string(cluster.identity.archiveID)),\"backups\":\(cluster.backups),\"newest_backup\":\(cluster.newestBackup.map(string) ?? "null"),"
                + "\"newest_wal\":\(cluster.newestSegment.map { string($0.fileName) } ?? "null"),\"newest_wal_time\":\(time(cluster.newestSegmentTime))}"
        }
        let verify = status.lastVerify.map {
            "{\"time\":\(time($0.time)),\"ok\":\($0.sound),\"deep\":\($0.deep),\"problems\":\($0.problems)}"
        } ?? "null"
        let proven = status.lastWindow.map {
            "{\"time\":\(time($0.time)),\"proven_start\":\(time($0.provenStart?.utcTime)),\"proven_end\":\(time($0.provenEnd?.utcTime)),"
                + "\"unprovable_seconds\":\($0.unprovableSeconds),\"unprovable_stretches\":\($0.unprovableStretches)}"
        } ?? "null"
        let fields: [(String, String)] = [
            ("time", time(status.time)),
            ("clusters", "[" + clusters.joined(separator: ",") + "]"),
            ("current_cluster", status.current.map { string($0.identity.archiveID) } ?? "null"),
            ("newest_backup", status.newestBackup.map { string($0.name) } ?? "null"),
            ("backup_age_seconds", number(status.backupAge)),
            ("newest_dump", status.newestDump.map { string($0.name) } ?? "null"),
            ("dump_age_seconds", number(status.dumpAge)),
            ("dumps", "[" + status.dumps.map { run in
                "{\"name\":\(string(run.name)),\"stop_time\":\(time(run.stopTime)),\"stored_bytes\":\(run.storedBytes),\"raw_bytes\":\(run.rawBytes),"
                    + "\"databases\":[" + run.databases.map(string).joined(separator: ",") + "]}"
            }.joined(separator: ",") + "]"),
            ("newest_wal", status.newestSegment.map { string($0.fileName) } ?? "null"),
            ("newest_wal_time", time(status.newestSegmentTime)),
            ("wal_age_seconds", number(status.walAge)),
            ("window", status.window.map { "{\"start\":\(time($0.start)),\"end\":\(time($0.end)),\"end_is_commit\":\($0.endIsCommit)}" } ?? "null"),
            ("gaps", "[" + gaps.joined(separator: ",") + "]"),
            ("bytes_by_kind", "{" + status.bytesByKind.map { "\(string($0.kind)):\($0.bytes)" }.joined(separator: ",") + "}"),
            ("bytes_by_storage_class", "{" + status.bytesByStorageClass.map { "\(string($0.storageClass)):\($0.bytes)" }.joined(separator: ",") + "}"),
            ("segments_last_day", String(status.segmentsLastDay)),
            ("monthly_bill", status.bill.map { bill in
                "{\"usd\":\(String(format2: bill.total)),\"storage\":[" + bill.storage.map {
                    "{\"storage_class\":\(string($0.storageClass)),\"retention\":\(string($0.tier.rawValue)),\"objects\":\($0.objects),\"bytes\":\($0.bytes),"
                        + "\"usd\":\(String(format2: $0.dollars))}"
                }.joined(separator: ",") + "],\"requests\":[" + bill.requests.map {
                    "{\"kind\":\(string($0.kind)),\"per_month\":\(Int($0.perMonth.rounded())),\"usd\":\(String(format2: $0.dollars))}"
                }.joined(separator: ",") + "],\"retrieved_bytes\":\(bill.retrievedBytes),\"retrieval_usd\":\(String(format2: bill.retrievalDollars)),"
                    + "\"tags\":\(bill.tags),\"tags_usd\":\(String(format2: bill.tagDollars)),\"kms_usd\":\(String(format2: bill.kmsDollars)),"
                    + "\"assumptions\":\(string(bill.assumptions))}"
            } ?? "null"),
            ("last_verify", verify),
            ("last_window", proven),
            ("drills", "[" + status.drills.map {
                "{\"time\":\(time($0.time)),\"backup\":\(string($0.backup)),\"passed\":\($0.passed),\"total_seconds\":\(String(format1: $0.totalSeconds))}"
            }.joined(separator: ",") + "]"),
            ("backups", "[" + backups.joined(separator: ",") + "]"),
            ("copy_lag", copyLag.map {
                "{\"second\":\(string($0.second)),\"files\":\($0.files),\"bytes\":\($0.bytes),\"age_seconds\":\($0.age(now: status.time)),"
                    + "\"unreachable\":\($0.unreachable.map(string) ?? "null")}"
            } ?? "null"),
        ]
        return "{" + fields.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}\n"
    }
}
