import Foundation
import Testing

extension PostgreSQLIntegration {
    /// A chain of a full backup and two incrementals, each restored with `--immediate` to exactly the source's data
    /// at its end (every pgbench table's checksum, pg_verifybackup), and a point in time between the second and third
    /// backups: on 17 and 18 the server-side way (`summarize_wal = on`), on 15, 16 and 18 block compare.
    @Suite struct IncrementalChainTests {
        @Test(arguments: [(15, false), (16, false), (17, true), (18, true), (18, false)])
        func everyBackupOfAChainRestoresExactly(major: Int, summaries: Bool) throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown, major: major,
                                           settings: major >= 17 ? [("summarize_wal", summaries ? "on" : "off")] : [])
            defer { try? source.cluster.stop() }
            let primary = source.cluster
            try primary.pgbench(["-i", "-q", "-s", "10"])

            var expected: [(name: String, fingerprint: [String: String], rows: [Int])] = []
            func backup(_ type: String) throws {
                let summary = try source.backup(["--type", type])
                let name = String(summary.split(separator: " ")[1].dropLast())
                #expect(summary.contains(": \(type)"), "\(summary)")
                expected.append((name, try primary.pgbenchFingerprint(), Array(1...source.rows.count)))
            }
            try source.commitRows(1)
            try backup("full")
            try primary.pgbench(["-n", "-c", "2", "-j", "2", "-t", "300"])
            // A table that grows, one dropped and one truncated: files appear, vanish and shrink between backups.
            _ = try primary.query("create table gone as select g from generate_series(1, 50000) g; create table shrinks as select g from generate_series(1, 50000) g")
            try source.commitRows(2)
            try backup("incremental")
            try primary.pgbench(["-n", "-c", "2", "-j", "2", "-t", "300"])
            _ = try primary.query("drop table gone; truncate shrinks; truncate pgbench_history")
            try source.commitRows(3)
            let between = try source.timeBetween(4)
            try backup("incremental")
            try source.commitRows(2)
            try source.archiveAll()

            let restore = RestoreRun(source: source)
            for (index, backup) in expected.enumerated() {
                if index == expected.count - 1 {
                    // The newest, laid out but not started, passes this major's pg_verifybackup.
                    let (laidOut, copy) = try restore.run(["--backup", backup.name, "--immediate"], into: "verify-\(index)")
                    #expect(laidOut.status == 0, "\(laidOut.stdout)\(laidOut.stderr)")
                    let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup", major: major), ["-n", copy.directory])
                    #expect(verify.status == 0 && verify.stdout.contains("backup successfully verified"), "\(verify.stdout)\(verify.stderr)")
                }
                let copy = try restore.expectRows(["--backup", backup.name, "--immediate"], into: "immediate-\(index)", backup.rows, keep: true)
                #expect(try copy.pgbenchFingerprint() == backup.fingerprint, "backup \(index) (\(backup.name))")
                copy.stop()
            }
            // Between the second and the third backup: rows 1-4 only, whatever backup the planner takes.
            try restore.expectRows(["--to", between], into: "between", [1, 2, 3, 4])
        }
    }
}
