import Foundation
import Testing

extension PostgreSQLIntegration {
    /// wal-push of a name already in the archive: the same bytes succeed, different bytes fail and change nothing.
    @Suite struct WALPushOverwrite {
        /// Success for a file already archived is a promise PostgreSQL acts on (it recycles the file), so the object
        /// and its folder are fsynced first: whoever stored it may have crashed before they were durable.
        @Test func pushingTheSameSegmentTwiceSucceedsBothTimes() throws {
            let archived = try ArchivedCluster.make()
            #expect(FileManager.default.fileExists(atPath: archived.walFile), "precondition: \(archived.walFile) still in pg_wal")
            for attempt in 1...2 {
                let result = try archived.tailtown.push("pg_wal/" + archived.segment, in: archived.cluster.dataDirectory)
                #expect(result.status == 0, "push \(attempt) of an archived segment: \(result.stderr)")
            }
            // Once more under strace (-y: each descriptor with its path).
            let trace = archived.sandbox.path("push.strace")
            let traced = try Command.runAsPostgres("/usr/bin/strace", [
                "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o", trace,
                archived.sandbox.binary, "--config", archived.tailtown.configFile, "wal-push", "pg_wal/" + archived.segment,
            ], in: archived.cluster.dataDirectory)
            #expect(traced.status == 0, "\(traced.stderr)")
            #expect(traced.stderr.contains("already archived with the same content"), "\(traced.stderr)")
            let synced = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains("fsync(") && $0.hasSuffix("= 0") }
            let folder = (archived.object as NSString).deletingLastPathComponent
            #expect(synced.contains { $0.contains("<\(archived.object)>") }, "the object was not fsynced: \(synced)")
            #expect(synced.contains { $0.contains("<\(folder)>") }, "its folder was not fsynced: \(synced)")
            try archived.stop()
        }

        @Test func pushingDifferentBytesUnderAnArchivedNameFailsAndChangesNothing() throws {
            let archived = try ArchivedCluster.make()
            let before = try contents(of: archived.object)

            // Same name, one payload byte changed (page headers intact), outside pg_wal: run from the data directory
            // so tailtown-pitr still finds the cluster it belongs to.
            var tampered = try contents(of: archived.walFile)
            tampered[5_000] ^= 0xFF
            let tamperedPath = try archived.sandbox.makeDirectory("tampered") + "/" + archived.segment
            try tampered.write(to: URL(fileURLWithPath: tamperedPath))
            try Sandbox.giveToPostgres(tamperedPath, mode: 0o600)

            let result = try archived.tailtown.push(tamperedPath, in: archived.cluster.dataDirectory)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("WAL file '\(tamperedPath)' is already archived as") && result.stderr.contains("with different content"),
                    "the error should name the segment and the conflict: \(result.stderr)")
            #expect(try contents(of: archived.object) == before, "the archived object changed")
            try archived.stop()
        }
    }
}
