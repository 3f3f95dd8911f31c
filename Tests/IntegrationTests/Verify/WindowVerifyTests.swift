import Foundation
import Testing
import PITRBackup
import PITRWAL

extension PostgreSQLIntegration {
    /// `verify --window` against a real PostgreSQL 15 archive (plain repository, so that a segment whose record CRC is
    /// wrong can be stored correctly): every segment decoded once, the proof remembered, the window split where WAL is
    /// missing, unreadable, or on a timeline without its history file.
    @Suite struct WindowVerifyTests {
        /// `verify --window --json`: its exit status and the one archive's report.
        static func verifyWindow(_ setup: PlannerCluster) throws -> (status: Int32, archive: [String: Any], stretches: [[String: Any]]) {
            let result = try setup.tailtown.sandbox.tailtown(["--config", setup.tailtown.configFile, "verify", "--window", "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\(result.stderr)")
            let archives = try #require(json["archives"] as? [[String: Any]])
            #expect(archives.count == 1)
            let archive = try #require(archives.first)
            return (result.status, archive, try #require(archive["stretches"] as? [[String: Any]]))
        }

        static func lsn(_ segment: WALSegmentName) -> String { segment.startLSN(.standard).description }

        @Test func provesTheWindowRemembersItAndSplitsItWhereWALIsMissingOrCorrupt() throws {
            let setup = try PlannerCluster.make()
            let (primary, tailtown) = (setup.primary, setup.tailtown)
            defer { try? primary.stop() }
            let system = try primary.systemIdentifier()
            _ = try primary.query("insert into t select generate_series(1, 1000)")
            let between = try primary.switchWAL()
            _ = try setup.backupPush()
            let before = try LSN(parsing: try primary.query("select pg_current_wal_lsn()"))
            _ = try primary.query("create table filler as select g, md5(g::text) as h from generate_series(1, 400000) g")
            let last = try primary.switchWAL()
            try primary.waitUntilArchived(last)
            let backups = try BackupCatalog(repository: setup.repository).list()
            #expect(backups.count == 2)
            let b2 = backups[1]
            let archived = try tailtown.repository.segments(systemIdentifier: system, segmentSizeMB: 16).count

            // Healthy: one proven stretch from the stop of the backup anchoring the window (the newest: both backups
            // are of today, and the daily class keeps the newest of a day) to the end; every segment read once.
            let healthy = try Self.verifyWindow(setup)
            #expect(healthy.status == 0, "\(healthy.stretches)")
            #expect(healthy.stretches.count == 1 && healthy.stretches[0]["proven"] as? Bool == true)
            #expect(healthy.stretches[0]["start_lsn"] as? String == b2.stopLSN.description)
            #expect(healthy.stretches[0]["start"] as? String == b2.stopMoment?.description)
            #expect(healthy.stretches[0]["end_lsn"] as? String == Self.lsn(try WALSegmentName(parsing: last).next(.standard)))
            #expect(healthy.archive["segments_read"] as? Int == archived, "\(healthy.archive)")
            #expect(healthy.archive["segments_remembered"] as? Int == 0)
            #expect(healthy.archive["unprovable_seconds"] as? Int == 0)

            // Again: nothing is read, everything remembered.
            let again = try Self.verifyWindow(setup)
            #expect(again.status == 0)
            #expect(again.archive["segments_read"] as? Int == 0, "\(again.archive)")
            #expect(again.archive["segments_remembered"] as? Int == archived)

            // A segment before the window removed (between the two backups): the promise does not depend on it.
            let removedBefore = tailtown.repository.segmentObject(between, systemIdentifier: system)
            try FileManager.default.moveItem(atPath: removedBefore, toPath: removedBefore + ".aside")
            #expect(try Self.verifyWindow(setup).status == 0)
            try FileManager.default.moveItem(atPath: removedBefore + ".aside", toPath: removedBefore)

            // A segment inside the window removed: proven up to it, unprovable from it to the end, naming it.
            let gap = WALSegmentName.segment(containing: LSN(before.rawValue + 5 << 20), timeline: TimelineID(1), segmentSize: .standard)
            let removed = tailtown.repository.segmentObject(gap.fileName, systemIdentifier: system)
            try FileManager.default.moveItem(atPath: removed, toPath: removed + ".aside")
            let split = try Self.verifyWindow(setup)
            #expect(split.status == 1)
            #expect(split.stretches.map { $0["proven"] as? Bool } == [true, false], "\(split.stretches)")
            #expect(split.stretches.map { $0["start_lsn"] as? String } == [b2.stopLSN.description, Self.lsn(gap)])
            #expect(split.stretches[0]["end_lsn"] as? String == Self.lsn(gap))
            #expect(split.stretches[1]["cause"] as? String == "WAL segment \(gap.fileName) is missing")
            #expect((split.stretches[1]["object"] as? String)?.hasSuffix("/" + gap.fileName) == true)
            #expect((split.archive["unprovable_seconds"] as? Int ?? 0) > 0)
            // The segment put back before it is read again: the last run's proof left it out, as it was missing.
            #expect(split.archive["segments_read"] as? Int == 1)
            try FileManager.default.moveItem(atPath: removed + ".aside", toPath: removed)
            let restored = try Self.verifyWindow(setup)
            // Read again: the segment put back, and the one before it when its last record runs into it (it ended
            // early in the last run, so its proof was not kept).
            #expect(restored.status == 0 && (1...2).contains(restored.archive["segments_read"] as? Int ?? 0), "\(restored.archive)")

            // A segment full of records, one byte of a record flipped, stored correctly: its record CRC is wrong.
            let corrupt = WALSegmentName.segment(containing: LSN(before.rawValue + 20 << 20), timeline: TimelineID(1), segmentSize: .standard)
            #expect(corrupt.fileName < last)
            let folder = try tailtown.sandbox.makeDirectory("corrupt")
            _ = try tailtown.fetch(corrupt.fileName, to: folder + "/" + corrupt.fileName, in: primary.dataDirectory).check()
            var bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + corrupt.fileName))
            bytes[8 << 20 + 1000] ^= 0x55
            try bytes.write(to: URL(fileURLWithPath: folder + "/" + corrupt.fileName))
            try FileManager.default.removeItem(atPath: tailtown.repository.segmentObject(corrupt.fileName, systemIdentifier: system))
            try Sandbox.giveToPostgres(folder + "/" + corrupt.fileName, mode: 0o600)
            _ = try tailtown.push(folder + "/" + corrupt.fileName, in: primary.dataDirectory).check()
            let damaged = try Self.verifyWindow(setup)
            #expect(damaged.status == 1)
            #expect(damaged.stretches.map { $0["proven"] as? Bool } == [true, false], "\(damaged.stretches)")
            #expect(damaged.stretches[0]["end_lsn"] as? String == Self.lsn(corrupt))
            #expect(damaged.stretches[1]["start_lsn"] as? String == Self.lsn(corrupt))
            #expect(damaged.stretches[1]["end_lsn"] as? String == Self.lsn(try WALSegmentName(parsing: last).next(.standard)))
            #expect((damaged.stretches[1]["cause"] as? String)?.contains("WAL segment \(corrupt.fileName) is corrupt at LSN") == true,
                    "\(damaged.stretches[1])")
            #expect((damaged.stretches[1]["object"] as? String)?.hasSuffix("/" + corrupt.fileName) == true)
            // Only the changed object is read again.
            #expect(damaged.archive["segments_read"] as? Int == 1, "\(damaged.archive)")
            #expect(damaged.archive["segments_remembered"] as? Int == archived - 1)

            // check alarms, and the Prometheus file carries the window.
            let metrics = tailtown.sandbox.path("metrics.prom")
            let check = try tailtown.sandbox.tailtown(["--config", tailtown.configFile, "check", "--no-connect", "--prometheus", metrics])
            #expect(check.status == 1)
            #expect(check.stdout.contains("the last verify --window") || check.stderr.contains("the last verify --window"), "\(check.stdout)\(check.stderr)")
            let text = try String(contentsOfFile: metrics, encoding: .utf8)
            let unprovable = text.split(separator: "\n").first { $0.hasPrefix("tailtown_pitr_window_unprovable_seconds ") }
            #expect(unprovable.flatMap { Int($0.split(separator: " ")[1]) }.map { $0 > 0 } == true, "\(text)")
            #expect(text.contains("tailtown_pitr_window_proven_start_timestamp_seconds \(b2.stopMoment?.unixSeconds ?? 0)\n"), "\(text)")
            #expect(text.contains("tailtown_pitr_window_proven_end_timestamp_seconds "))
        }

        /// A copy promoted to timeline 2 while the primary goes on: both legs proven; without 00000002.history, the
        /// timeline 2 part is unprovable, naming the history file.
        @Test func aTimelineWithoutItsHistoryFileIsUnprovable() throws {
            let setup = try PlannerCluster.make()
            let (primary, tailtown) = (setup.primary, setup.tailtown)
            defer { try? primary.stop() }
            let fork = try PostgresCluster.baseBackup(of: primary, name: "fork")
            _ = try primary.query("insert into t values (1)")
            let shared = try primary.switchWAL()
            try primary.waitUntilArchived(shared)
            try fork.archive(through: tailtown)
            defer { try? fork.stop() }
            try fork.recover(through: tailtown, archiving: true)
            _ = try fork.query("insert into t values (2)")
            _ = try primary.query("insert into t values (3)")
            let forkLast = try fork.switchWAL()
            let primaryLast = try primary.switchWAL()
            try fork.waitUntilArchived(forkLast)
            try primary.waitUntilArchived(primaryLast)

            let both = try Self.verifyWindow(setup)
            #expect(both.status == 0, "\(both.stretches)")
            #expect(both.stretches.map { $0["timeline"] as? Int } == [1, 2])
            #expect(both.stretches.allSatisfy { $0["proven"] as? Bool == true })

            let history = tailtown.repository.archiveDirectory(systemIdentifier: try primary.systemIdentifier()) + "/00000002.history"
            try FileManager.default.removeItem(atPath: history)
            let orphan = try Self.verifyWindow(setup)
            #expect(orphan.status == 1)
            #expect(orphan.stretches.map { $0["timeline"] as? Int } == [1, 2])
            #expect(orphan.stretches[0]["proven"] as? Bool == true)
            #expect(orphan.stretches[1]["proven"] as? Bool == false)
            #expect(orphan.stretches[1]["cause"] as? String == "timeline 2 has no history file: recovery cannot follow it; push it again from the server's pg_wal")
            #expect((orphan.stretches[1]["object"] as? String)?.hasSuffix("/00000002.history") == true)
            #expect(orphan.archive["segments_read"] as? Int == 0)
        }
    }
}
