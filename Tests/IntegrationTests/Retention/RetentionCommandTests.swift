import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL
import TestSupport

extension PostgreSQLIntegration {
    /// `delete`, `verify`, `status` and `check` as processes against a real PostgreSQL 15 archiving into
    /// an encrypted file:// repository: three backups the same day, TAILTOWN_RETAIN=daily=1 keeps the
    /// newest; after `delete --confirm` the repository verifies, a point-in-time recovery inside the
    /// reported window reaches exactly the target, and the restore drill passes (or fails on its check).
    @Suite struct RetentionCommandTests {
        let archived: ArchivedCluster
        let config: String

        init() throws {
            archived = try ArchivedCluster.make(compression: "lz4", encrypted: true)
            config = try archived.tailtown.adding(["TAILTOWN_RETAIN=daily=1"], as: "retention.conf").configFile
        }

        func tailtown(_ arguments: [String]) throws -> CommandResult {
            try archived.sandbox.tailtown(["--config", config] + arguments)
        }

        func switchAndArchive() throws {
            try archived.cluster.waitUntilArchived(try archived.cluster.switchWAL())
        }

        var repository: PITRRepository.Repository {
            get throws {
                PITRRepository.Repository(storage: FileStorage(root: archived.tailtown.repository.root), keyring: try KeyFile.read(at: archived.sandbox.path("tailtown.key")))
            }
        }

        @Test func deleteKeepsWhatTheWindowNeedsAndTheRestStillRecovers() throws {
            defer { try? archived.stop() }
            _ = try archived.cluster.query("CREATE TABLE marks (label text, at timestamptz DEFAULT clock_timestamp())")
            for round in 1...3 {
                _ = try archived.cluster.query("INSERT INTO marks (label) VALUES ('round \(round)')")
                try switchAndArchive()
                try tailtown(["backup-push", "--dbname", archived.cluster.conninfo, "--type", "full"]).check()
            }
            try archived.cluster.waitForTheNextSecond()  // a commit in a later second than the newest backup's stop
            _ = try archived.cluster.query("INSERT INTO marks (label) VALUES ('before target')")
            try switchAndArchive()
            try archived.cluster.waitForTheNextSecond()
            let target = try archived.cluster.query("SELECT clock_timestamp()")
            try archived.cluster.waitForTheNextSecond()
            _ = try archived.cluster.query("INSERT INTO marks (label) VALUES ('after target')")
            try switchAndArchive()
            try switchAndArchive()

            let backups = try BackupCatalog(repository: try repository).list()
            #expect(backups.count == 3)
            let newest = try #require(backups.last)
            let walRoot = archived.tailtown.repository.archiveDirectory(systemIdentifier: archived.systemIdentifier)
            let segmentsBefore = try archived.tailtown.repository.segments(systemIdentifier: archived.systemIdentifier, segmentSizeMB: 16)

            // The plan names the two older backups and changes nothing.
            let plan = try tailtown(["delete"]).check()
            #expect(plan.contains("keep    \(newest.name)  daily,newest"))
            #expect(plan.contains("delete  \(backups[0].name)") && plan.contains("delete  \(backups[1].name)"))
            #expect(plan.contains("delete  WAL ") && plan.hasSuffix("nothing deleted: run again with --confirm to delete\n"))
            #expect(try BackupCatalog(repository: try repository).list().count == 3)

            // The summary counts exactly the files that left the repository.
            func files() -> Set<String> {
                Set((FileManager.default.enumerator(atPath: archived.tailtown.repository.root)?.allObjects as? [String] ?? [])
                    .filter { path in var folder: ObjCBool = false
                        return FileManager.default.fileExists(atPath: archived.tailtown.repository.root + "/" + path, isDirectory: &folder) && !folder.boolValue })
            }
            let present = files()
            let deleted = try tailtown(["delete", "--confirm"]).check()
            let gone = present.subtracting(files()).count
            #expect(gone > 2 && deleted.hasSuffix("\ndeleted \(gone) objects\n"), "\(gone) files gone: \(deleted)")
            #expect(try BackupCatalog(repository: try repository).list().map(\.name) == [newest.name])
            let startSegment = WALSegmentName.segment(containing: newest.startLSN, timeline: newest.timeline, segmentSize: .standard)
            let segmentsAfter = try archived.tailtown.repository.segments(systemIdentifier: archived.systemIdentifier, segmentSizeMB: 16)
            #expect(segmentsAfter.map(\.name) == segmentsBefore.map(\.name).filter { $0 >= startSegment.fileName })
            #expect(try tailtown(["delete"]).check().contains("nothing to delete"))
            #expect(try tailtown(["backup-list"]).check().contains("daily,newest"))

            // The rest verifies, shallow and deep.
            let verify = try tailtown(["verify"])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            let deep = try tailtown(["verify", "--deep", "--json"])
            #expect(deep.status == 0 && deep.stdout.hasPrefix("{\"ok\":true"), "\(deep.stdout)\(deep.stderr)")

            // status reports the window from the kept backup; check is happy and writes metrics.
            let status = try JSONSerialization.jsonObject(with: Data(try tailtown(["status", "--json", "--html", archived.sandbox.path("status.html")]).check().utf8)) as! [String: Any]
            let window = try #require(status["window"] as? [String: Any])
            #expect(window["start"] as? String == newest.stopTime.iso8601)
            #expect(window["end_is_commit"] as? Bool == true, "the end of the window is the newest commit, decoded")
            #expect(FileManager.default.fileExists(atPath: archived.sandbox.path("status.html")))
            let metrics = archived.sandbox.path("tailtown.prom")
            let check = try tailtown(["check", "--dbname", archived.cluster.conninfo, "--prometheus", metrics])
            #expect(check.status == 0 && check.stdout == "ok\n", "\(check.stdout)\(check.stderr)")
            #expect(!check.stderr.contains("judging by the repository alone"), "check reads the server: \(check.stderr)")
            #expect(try String(contentsOfFile: metrics, encoding: .utf8).contains("tailtown_pitr_last_verify_success 1"))
            // Over a second old by the clock check reads (whole seconds), the newest backup is stale for --max-backup-age 1s.
            try waitUntil("the newest backup to be over a second old", seconds: 10) {
                UTCTime.now().secondsSinceEpoch - newest.stopTime.secondsSinceEpoch > 1
            }
            let hook = try WebhookListener()
            let alerting = try archived.sandbox.writeFile("alerting.conf", try String(contentsOfFile: config, encoding: .utf8) + "TAILTOWN_NOTIFY_URL=\(hook.url)\n")
            let stale = try archived.sandbox.tailtown(["--config", alerting, "check", "--no-connect", "--max-backup-age", "1s"])
            #expect(stale.status == 1 && stale.stdout.hasPrefix("problem: newest backup \(newest.name) finished"), "\(stale.stdout)\(stale.stderr)")
            let posted = try #require(hook.waitForRequest(seconds: 20), "check posted no alert")
            let alert = try JSONSerialization.jsonObject(with: Data(posted.body.utf8)) as? [String: Any] ?? [:]
            #expect((alert["text"] as? String)?.contains("tailtown-pitr check failed for file://") == true)
            #expect((alert["text"] as? String)?.contains("newest backup \(newest.name) finished") == true)
            // A webhook that could never be reached is refused on every run, healthy or not, without its secret path.
            let malformed = try archived.sandbox.writeFile("malformed.conf", try String(contentsOfFile: config, encoding: .utf8) + "TAILTOWN_NOTIFY_URL=hooks.example/T1/secret3\n")
            let refused = try archived.sandbox.tailtown(["--config", malformed, "check", "--no-connect"])
            #expect(refused.status != 0 && refused.stderr.contains("TAILTOWN_NOTIFY_URL") && refused.stderr.contains("is not an http:// or https:// URL"),
                    "\(refused.stdout)\(refused.stderr)")
            #expect(!refused.stderr.contains("secret3") && !refused.stdout.contains("secret3"))

            // A point-in-time recovery from what is left reaches the target and stops there.
            _ = try BackupPushTests.extract(newest, from: try repository, into: archived.sandbox.path("restored"))
            let labels = try recover("restored", to: target)
            #expect(labels == ["round 1", "round 2", "round 3", "before target"])

            // The restore drill: to the end of the archive (a standby, never promoted), then to the target with an
            // expectation that cannot hold; neither leaves anything in the scratch folder or the repository.
            let scratch = try archived.sandbox.makeDirectory("scratch")
            let keysBefore = try repository.storage.list(prefix: "")
            let drill = try tailtown(["verify", "--restore-test", "--scratch-dir", scratch,
                                      "--check-sql", "SELECT count(*) FROM marks => = 5", "--check-sql", "SELECT count(*) > 0 FROM marks"])
            #expect(drill.status == 0 && drill.stdout.contains("restore test of backup \(newest.name)") && drill.stdout.hasSuffix("restore test passed\n"),
                    "\(drill.stdout)\(drill.stderr)")
            #expect(drill.stdout.contains("total (the measured RTO): ") && drill.stdout.contains("recovery until consistent: "))
            let failing = try tailtown(["verify", "--restore-test", "--scratch-dir", scratch, "--to", target,
                                        "--check-sql", "SELECT count(*) FROM marks => = 6"])
            #expect(failing.status == 1 && failing.stdout.contains("check FAILED: SELECT count(*) FROM marks gave 4, expected = 6"),
                    "\(failing.stdout)\(failing.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
            // Each drill left one record in the repository, and nothing else; status shows them, check judges them.
            let added = try repository.storage.list(prefix: "").filter { !keysBefore.contains($0) }
            #expect(added.count == 2 && added.allSatisfy { $0.hasPrefix("drills/") }, "\(added)")
            let shown = try tailtown(["status"])
            #expect(shown.stdout.contains("restore drills    ") && shown.stdout.contains(" FAILED"), "\(shown.stdout)")
            let slow = try tailtown(["check", "--no-connect", "--max-backup-age", "30d", "--max-wal-age", "30d", "--max-rto", "1s"])
            #expect(slow.status == 1 && slow.stdout.contains("the last restore drill") && slow.stdout.contains("failed"), "\(slow.stdout)\(slow.stderr)")
            // A drill to a random moment of the window.
            let random = try tailtown(["verify", "--restore-test", "--random-target", "--scratch-dir", scratch,
                                       "--check-sql", "SELECT count(*) >= 0 FROM marks"])
            #expect(random.status == 0 && random.stdout.contains("random target: ") && random.stdout.hasSuffix("restore test passed\n"),
                    "\(random.stdout)\(random.stderr)")

            // A segment taken out of the middle of the chain is named by verify, and dated by the newest
            // commit decoded from the segment before it ('before target'), later than the backup's stop.
            _ = try archived.cluster.query("INSERT INTO marks (label) VALUES ('late')")
            try switchAndArchive()
            let segments = try archived.tailtown.repository.segments(systemIdentifier: archived.systemIdentifier, segmentSizeMB: 16)
            #expect(segments.count >= 4)
            let middle = segments[segments.count - 2]
            try FileManager.default.removeItem(atPath: walRoot + "/" + middle.name.prefix(16) + "/" + middle.name)
            let broken = try tailtown(["verify"])
            #expect(broken.status == 1 && broken.stdout.contains("WAL gap") && broken.stdout.contains(middle.name), "\(broken.stdout)\(broken.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(try tailtown(["verify", "--json"]).stdout.utf8)) as! [String: Any]
            let gap = try #require((report["problems"] as? [[String: Any]])?.first)
            let after = try #require(gap["after"] as? String)
            #expect(after > newest.stopTime.iso8601 && after <= String(target.prefix(19)).replacingOccurrences(of: " ", with: "T") + "Z")
        }

        /// Starts the backup extracted into folder `name` of the sandbox as a private server recovering to `target`
        /// (archiving off, then promoted) and returns marks' labels; the copy is stopped again.
        func recover(_ name: String, to target: String) throws -> [String] {
            let copy = try PostgresCluster.existing(in: archived.sandbox, name: name)
            try copy.configure([("recovery_target_time", target)])
            try copy.recover(through: archived.tailtown)
            defer { try? copy.stop() }
            return try copy.query("SELECT label FROM marks ORDER BY at").split(separator: "\n").map(String.init)
        }
    }
}
