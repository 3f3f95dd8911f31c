import PITRDump
import PITRRetention
import PITRSupport

/// `dump-list` output: a table for people (one row per dump), JSON with every descriptor field for programs.
public enum DumpListing {
    /// Columns: the run's name, the database ("(globals)" for roles and tablespaces), finished at, age, server major,
    /// bytes stored against the dump's own, and the retention classes keeping its run ("-": the next `delete` removes it).
    public static func table(_ runs: [DumpRun], now: UTCTime, retention: DumpRetention) -> String {
        let header = ["NAME", "DATABASE", "FINISHED (UTC)", "AGE", "PG", "STORED / RAW", "KEPT AS"]
        let rows = runs.flatMap { run in
            run.dumps.map { dump in
                [run.name, dump.database ?? "(globals)", dump.stopTime.iso8601, String(age: now.secondsSinceEpoch - dump.stopTime.secondsSinceEpoch),
                 String(dump.serverVersion / 10_000), String(byteCount: dump.storedBytes) + " / " + String(byteCount: dump.rawBytes),
                 keptAs(run, retention)]
            }
        }
        return BackupListing.aligned([header] + rows)
    }

    static func keptAs(_ run: DumpRun, _ retention: DumpRetention) -> String {
        let classes = retention.classes(of: run.name)
        return classes.isEmpty ? "-" : classes.map(\.rawValue).joined(separator: ",")
    }

    /// A JSON array of runs, each with its name, times, sizes, `retention` (empty: the next `delete` removes it) and
    /// its `dumps`, every descriptor field of each.
    public static func json(_ runs: [DumpRun], retention: DumpRetention) -> String {
        func string(_ text: String) -> String { text.jsonLiteral }
        return "[" + runs.map { run in
            let dumps = run.dumps.map { dump in
                let fields: [(String, String)] = [
                    ("database", dump.database.map(string) ?? "null"),
                    ("kind", string(dump.isCustomFormat ? "pg_dump custom" : "pg_dumpall globals")),
                    ("start_time", string(dump.startTime.iso8601)),
                    ("stop_time", string(dump.stopTime.iso8601)),
                    ("pg_version", String(dump.serverVersion)),
                    ("tool", string(dump.tool)),
                    ("compression", string(dump.compression.rawValue)),
                    ("cipher", string(dump.cipher)),
                    ("key_id", string(dump.keyID)),
                    ("sha256", string(dump.sha256)),
                    ("raw_bytes", String(dump.rawBytes)),
                    ("stored_bytes", String(dump.storedBytes)),
                    ("objects", "[" + dump.objects.map {
                        "{\"name\":\(string($0.name)),\"raw_bytes\":\($0.rawBytes),\"stored_bytes\":\($0.storedBytes)}"
                    }.joined(separator: ",") + "]"),
                ]
                return "{" + fields.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
            }
            let fields: [(String, String)] = [
                ("name", string(run.name)),
                ("start_time", string(run.startTime.iso8601)),
                ("stop_time", string(run.stopTime.iso8601)),
                ("raw_bytes", String(run.rawBytes)),
                ("stored_bytes", String(run.storedBytes)),
                ("retention", "[" + retention.classes(of: run.name).map { string($0.rawValue) }.joined(separator: ",") + "]"),
                ("dumps", "[" + dumps.joined(separator: ",") + "]"),
            ]
            return "{" + fields.map { "\(string($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        }.joined(separator: ",\n") + "]\n"
    }
}
