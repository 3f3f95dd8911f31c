import PITRRepository
import PITRRetention

/// `check --prometheus FILE`: node_exporter textfile-collector metrics (Prometheus text exposition
/// format 0.0.4): a HELP and a TYPE line per metric, gauges only, times as Unix seconds. A metric
/// whose value is unknown (no backup yet) is left out rather than given a made-up value.
public enum PrometheusText {
    public static func render(_ status: RepositoryStatus, problems: [String], copyLag: CopyLag? = nil) -> String {
        var out = ""
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP tailtown_pitr_\(name) \(help)\n# TYPE tailtown_pitr_\(name) gauge\n"
            for sample in samples {
                out += "tailtown_pitr_\(name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(format(sample.value))\n"
            }
        }
        func one(_ value: Int64?) -> [(labels: String, value: Double)] { value.map { [("", Double($0))] } ?? [] }
        gauge("backup_age_seconds", "Seconds since the newest complete backup finished.", one(status.backupAge))
        gauge("dump_age_seconds", "Seconds since the newest dump run finished.", one(status.dumpAge))
        gauge("wal_age_seconds", "Seconds since the newest WAL segment was archived.", one(status.walAge))
        gauge("window_start_timestamp_seconds", "Earliest point of the recoverable window (Unix time).", one(status.window?.start.secondsSinceEpoch))
        gauge("window_end_timestamp_seconds", "Latest point of the recoverable window (Unix time).", one(status.window?.end.secondsSinceEpoch))
        gauge("wal_gaps", "Runs of missing WAL segments that backups need.", [("", Double(status.gaps.count))])
        gauge("repository_bytes", "Stored bytes by kind of object.", status.bytesByKind.map { ("kind=\"\(label($0.kind))\"", Double($0.bytes)) })
        gauge("backups", "Backups kept by each retention class (a backup may count in several).", RetentionClass.allCases.map { kind in
            ("class=\"\(kind.rawValue)\"", Double(status.backups.filter { $0.classes.contains(kind) }.count))
        })
        gauge("archived_segments_last_day", "WAL segments archived in the last 24 hours.", [("", Double(status.segmentsLastDay))])
        gauge("last_verify_success", "1 if the last verify found nothing wrong, else 0.", status.lastVerify.map { [("", $0.sound ? 1 : 0)] } ?? [])
        gauge("last_verify_timestamp_seconds", "When verify last ran (Unix time).", one(status.lastVerify?.time.secondsSinceEpoch))
        gauge("window_unprovable_seconds", "Seconds of the promised window the last verify --window could not prove restorable.",
              one(status.lastWindow?.unprovableSeconds))
        gauge("window_proven_start_timestamp_seconds", "Start of the window the last verify --window proved (Unix time).",
              one(status.lastWindow?.provenStart?.unixSeconds))
        gauge("window_proven_end_timestamp_seconds", "End of the window the last verify --window proved (Unix time).",
              one(status.lastWindow?.provenEnd?.unixSeconds))
        if let copyLag, copyLag.unreachable == nil {
            gauge("copy_lag_files", "Objects of the first repository the second (TAILTOWN_REPO2) does not hold yet.", [("", Double(copyLag.files))])
            gauge("copy_lag_bytes", "Stored bytes of the objects the second repository does not hold yet.", [("", Double(copyLag.bytes))])
            gauge("copy_lag_seconds", "Seconds since the oldest object the second repository lacks was stored in the first.",
                  one(copyLag.age(now: status.time)))
        }
        gauge("check_problems", "Problems the last check found.", [("", Double(problems.count))])
        gauge("check_timestamp_seconds", "When check last ran (Unix time).", one(status.time.secondsSinceEpoch))
        return out
    }

    /// Integers without a decimal point; Prometheus accepts any Go float syntax.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A label value with backslash, double quote and newline escaped.
    static func label(_ text: String) -> String {
        text.escaping(["\\": "\\\\", "\"": "\\\"", "\n": "\\n"])
    }
}
