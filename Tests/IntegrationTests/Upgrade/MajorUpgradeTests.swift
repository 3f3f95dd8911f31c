import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

extension PostgreSQLIntegration {
    /// A pg_upgrade from 15 to 18 archiving into the same repository: the new cluster (a new system
    /// identifier) gets its own folder, `check` alarms until its first backup, `status` and
    /// `backup-list` show both clusters, `restore` picks the cluster that holds the target and refuses
    /// one that both could serve, and `delete` keeps the old cluster's last backup and its WAL.
    @Suite struct MajorUpgradeTests {
        /// `ticks` rows by id, each its own transaction.
        static func commit(_ ids: ClosedRange<Int>, on cluster: PostgresCluster) throws {
            for id in ids { _ = try cluster.query("insert into ticks values (\(id))") }
        }

        @Test func upgradeFrom15To18() throws {
            let clock = Stopwatch()
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            func run(_ arguments: [String]) throws -> CommandResult { try sandbox.tailtown(["--config", tailtown.configFile] + arguments) }

            // PostgreSQL 15: rows 1-3, a backup, rows 4-6 (the target lies between 4 and 5), archived, stopped.
            let old = try PostgresCluster.initialize(in: sandbox, name: "pg15", walSegmentSizeMB: 1, major: 15)
            try old.archive(through: tailtown)
            try old.start()
            let oldID = try old.systemIdentifier()
            _ = try old.query("create table ticks (id int primary key)")
            try Self.commit(1...3, on: old)
            try run(["backup-push", "--dbname", old.conninfo]).check()
            try Self.commit(4...4, on: old)
            usleep(20_000)
            let oldTarget = try old.query("select clock_timestamp()")
            usleep(20_000)
            try Self.commit(5...6, on: old)
            try old.waitUntilArchived(try old.switchWAL())
            try old.stop()

            // pg_upgrade --link into an 18 cluster without checksums (15's default), in a folder postgres owns.
            let new = try PostgresCluster.initialize(in: sandbox, name: "pg18", walSegmentSizeMB: 1, major: 18, checksums: false)
            let work = try sandbox.makeDirectory("pg_upgrade")
            try Command.runAsPostgres(try new.tool("pg_upgrade"), [
                "--link", "-U", "postgres", "-b", try PostgreSQL.binDirectory(major: 15), "-B", try PostgreSQL.binDirectory(major: 18),
                "-d", old.dataDirectory, "-D", new.dataDirectory, "-p", String(try sandbox.freePort()), "-P", String(try sandbox.freePort()),
                "-s", work,
            ], in: work, timeout: 300).check()
            try new.archive(through: tailtown)
            try new.start()
            let newID = try new.systemIdentifier()
            #expect(newID != oldID)
            let oldArchive = "15-\(oldID)", newArchive = "18-\(newID)"

            // Its WAL lands in a folder of its own.
            try Self.commit(7...8, on: new)
            let firstNewSegment = try new.switchWAL()
            try new.waitUntilArchived(firstNewSegment)
            let newSegments = try tailtown.repository.segments(systemIdentifier: newID, segmentSizeMB: 1, major: 18)
            #expect(newSegments.map(\.name).contains(firstNewSegment), "\(newSegments.map(\.name))")

            // Until its first backup, check alarms, naming the new cluster.
            let early = try run(["check", "--dbname", new.conninfo])
            #expect(early.status == 1 && early.stdout.contains("problem: cluster \(newArchive) archives WAL")
                    && early.stdout.contains("has no backup"), "\(early.stdout)\(early.stderr)")

            // The first 18 backup: a full one (its own base archive, from the new cluster's WAL only).
            try run(["backup-push", "--dbname", new.conninfo]).check()
            let backups = try BackupCatalog(repository: try repository(tailtown, sandbox)).list()
            #expect(backups.map(\.identity.archiveID) == [oldArchive, newArchive])
            let oldBackup = backups[0], newBackup = backups[1]
            #expect(newBackup.objects.contains { $0.archive == "base.tar" } && newBackup.serverVersion / 10000 == 18)
            let ready = try run(["check", "--dbname", new.conninfo])
            #expect(ready.status == 0 && ready.stdout == "ok\n", "\(ready.stdout)\(ready.stderr)")
            try Self.commit(9...10, on: new)
            try new.waitUntilArchived(try new.switchWAL())

            // status and backup-list show both clusters.
            let status = try run(["status"]).check()
            #expect(status.contains("cluster           \(oldArchive): 1 backup, newest \(oldBackup.name)"), "\(status)")
            #expect(status.contains("cluster           \(newArchive): 1 backup, newest \(newBackup.name)") && status.contains("(current)"), "\(status)")
            let list = try run(["backup-list"]).check()
            #expect(list.contains("CLUSTER") && list.contains("\(oldBackup.name)  \(oldArchive)") && list.contains("\(newBackup.name)  \(newArchive)"), "\(list)")

            // An unrelated 15 cluster pointed at the repository is refused, naming the way to accept it.
            let stranger = try PostgresCluster.initialize(in: sandbox, name: "stranger", walSegmentSizeMB: 1, major: 15)
            let strangerID = try PGControl.read(dataDirectory: stranger.dataDirectory).systemIdentifier
            let strangerSegment = try #require(try FileManager.default.contentsOfDirectory(atPath: stranger.dataDirectory + "/pg_wal")
                .filter { WALSegment($0, segmentSizeMB: 1) != nil }.min())
            let strangerPush = try tailtown.push("pg_wal/" + strangerSegment, in: stranger.dataDirectory)
            #expect(strangerPush.status == 1 && strangerPush.stderr.contains("and this cluster 15-\(strangerID) is not of a newer major")
                    && strangerPush.stderr.contains("tailtown-pitr accept-cluster 15-\(strangerID)"), "\(strangerPush.stderr)")
            #expect(!FileManager.default.fileExists(atPath: tailtown.repository.archiveDirectory(systemIdentifier: String(strangerID))))

            // A policy that, pooled, would leave the old cluster only expendable backups keeps its last backup and its WAL.
            let oldSegments = try tailtown.repository.segments(systemIdentifier: oldID, segmentSizeMB: 1).map(\.name)
            let retain = try tailtown.adding(["TAILTOWN_RETAIN=daily=1"], as: "retain.conf").configFile
            let deleted = try sandbox.tailtown(["--config", retain, "delete", "--confirm"]).check()
            #expect(deleted.contains("keep    \(oldBackup.name)  daily,newest") && deleted.contains("keep    \(newBackup.name)  daily,newest"), "\(deleted)")
            #expect(try BackupCatalog(repository: try repository(tailtown, sandbox)).list().map(\.name) == [oldBackup.name, newBackup.name])
            let oldStart = WALSegmentName.segment(containing: oldBackup.startLSN, timeline: oldBackup.timeline, segmentSize: try WALSegmentSize(bytes: 1 << 20))
            #expect(try tailtown.repository.segments(systemIdentifier: oldID, segmentSizeMB: 1).map(\.name) == oldSegments.filter { $0 >= oldStart.fileName })
            let verify = try run(["verify"])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

            // restore: a time only the old cluster reaches goes to it; one both reach is refused; --cluster picks.
            let old15 = RestoreRun(sandbox: sandbox, tailtown: tailtown, major: 15)
            try old15.expectRows(["--to", oldTarget], into: "old-at-target", Array(1...4))
            try old15.expectRefusal(["--to", "latest"], into: "ambiguous",
                                    "lies within reach of clusters \(oldArchive) and \(newArchive), which this repository holds side by side (a pg_upgrade keeps the old cluster's backups): add --cluster \(oldArchive) or --cluster \(newArchive) to pick one")
            let new18 = RestoreRun(sandbox: sandbox, tailtown: tailtown, major: 18)
            try new18.expectRows(["--to", "latest", "--cluster", newArchive], into: "new-latest", Array(1...10))
            try new.stop()
            print("major upgrade 15 -> 18 proven in \(String(format1: clock.seconds)) s")
        }

        func repository(_ tailtown: Tailtown, _ sandbox: Sandbox) throws -> PITRRepository.Repository {
            PITRRepository.Repository(storage: FileStorage(root: tailtown.repository.root), keyring: try KeyFile.read(at: sandbox.path("tailtown.key")))
        }
    }
}
