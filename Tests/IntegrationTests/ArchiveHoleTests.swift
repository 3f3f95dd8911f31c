import Foundation
import Testing

extension PostgreSQLIntegration {
    /// A segment missing from the middle of the archive is a hole, not its end: recovery stops on it with a line
    /// naming it (wal-fetch exits 200) instead of promoting early, while a standby only waits for it (exit 1).
    @Suite struct ArchiveHoles {
        @Test func aHoleStopsRecoveryNamingTheSegmentAndAStandbyWaitsForIt() throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let primary = try PostgresCluster.initialize(in: sandbox, name: "primary")
            try primary.archive(through: tailtown)
            try primary.start()
            let restored = try PostgresCluster.baseBackup(of: primary, name: "restored")
            var switched: [String] = []
            for round in 1...3 {
                _ = try primary.query("create table t\(round) as select g from generate_series(1, 10000) g")
                switched.append(try primary.switchWAL())
            }
            try primary.waitUntilArchived(switched[2])
            let systemIdentifier = try primary.systemIdentifier()
            try primary.stop()

            // The middle one goes; the ones before and after it stay.
            let missing = switched[1]
            let repository = tailtown.repository
            try FileManager.default.removeItem(atPath: repository.segmentObject(missing, systemIdentifier: systemIdentifier))
            #expect(FileManager.default.fileExists(atPath: repository.segmentObject(switched[2], systemIdentifier: systemIdentifier)))
            let noGrace = try tailtown.adding(["TAILTOWN_FETCH_GAP_GRACE=0", "TAILTOWN_LOG_LEVEL=debug"], as: "no-grace.conf")
            let destination = try sandbox.makeDirectory("fetched") + "/RECOVERYXLOG"

            // Within the default grace period of 60 s the later segment, stored just now, may be ahead of its predecessor.
            let late = try tailtown.fetch(missing, to: destination, in: restored.dataDirectory)
            #expect(late.status == 1, "\(late.stderr)")
            let hole = try noGrace.fetch(missing, to: destination, in: restored.dataDirectory)
            #expect(hole.status == 200, "\(hole.stderr)")
            #expect(hole.stderr.contains("\(missing) is missing from the archive, yet "), "\(hole.stderr)")
            #expect(hole.stderr.contains("\(switched[2]) of the same timeline was stored at"), "\(hole.stderr)")
            // Probes of what does not exist yet stay exit 1: the next timeline's history, a segment past the end.
            let nextHistory = try noGrace.fetch("00000002.history", to: destination, in: restored.dataDirectory)
            #expect(nextHistory.status == 1, "\(nextHistory.stderr)")
            let pastTheEnd = try #require(WALSegment(switched[2], segmentSizeMB: 16)).next.next.name
            let beyond = try noGrace.fetch(pastTheEnd, to: destination, in: restored.dataDirectory)
            #expect(beyond.status == 1, "\(beyond.stderr)")

            // A standby asks again and again, and stays up.
            try restored.configure([
                ("archive_mode", "off"), ("restore_command", noGrace.restoreCommand), ("recovery_target_timeline", "latest"),
                ("wal_retrieve_retry_interval", "100ms"),
            ])
            try touch(restored.dataDirectory + "/standby.signal")
            try restored.start()
            try waitUntil("the standby to ask for \(missing) twice", detail: { restored.logTail() }) {
                restored.logTail(lines: 100_000).components(separatedBy: "\(missing) is not in the archive").count > 2
            }
            #expect(try restored.query("select pg_is_in_recovery()") == "t")
            try restored.stop()

            // Archive recovery stops on the hole: the server shuts down with the line naming the segment, and never promotes.
            try FileManager.default.removeItem(atPath: restored.dataDirectory + "/standby.signal")
            try restored.configure([("recovery_target_action", "promote")])
            try restored.requestRecovery()
            _ = try? restored.start()  // returns once the server is consistent, or fails when recovery stopped before that
            try waitUntil("recovery to stop on the hole at \(missing)", detail: { restored.logTail() }) {
                if !restored.postmasterIsAlive { return true }
                if (try? restored.query("select pg_is_in_recovery()")) == "f" {
                    throw HarnessError.system("recovery ended early, before the hole at \(missing), and promoted:\n\(restored.logTail())")
                }
                return false
            }
            let log = restored.logTail(lines: 100_000)
            #expect(log.contains("\(missing) is missing from the archive, yet "), "\(restored.logTail())")
            #expect(!log.contains("archive recovery complete"), "\(restored.logTail())")
            #expect(!FileManager.default.fileExists(atPath: restored.dataDirectory + "/pg_wal/00000002.history"))
            #expect(FileManager.default.fileExists(atPath: restored.dataDirectory + "/recovery.signal"))
        }

        /// Creates an empty file owned by postgres.
        private func touch(_ path: String) throws {
            try Data().write(to: URL(fileURLWithPath: path))
            try Sandbox.giveToPostgres(path, mode: 0o600)
        }
    }
}
