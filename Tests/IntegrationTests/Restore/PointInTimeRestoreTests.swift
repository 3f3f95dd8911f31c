import Foundation
import Testing
import PITRRestore

extension PostgreSQLIntegration {
    /// The end-to-end proof: rows committed one by one with `track_commit_timestamp = on`, a backup
    /// mid-way, more rows and a restore point, everything archived, the source destroyed; then
    /// `restore ... --start` to a time, an LSN, an xid, a restore point and `latest`, each holding exactly
    /// the rows committed up to its target. On file:// (with timelines and refusals) and on s3://.
    @Suite struct PointInTimeRestoreTests {
        /// Rows 1-3, backup, rows 4-9, restore point "after-9", rows 10-12, archived.
        static func prepareRows(_ source: RestoreSource) throws {
            try source.commitRows(3)
            try source.backup()
            try source.commitRows(6)
            try source.createRestorePoint("after-9")
            try source.commitRows(3)
            try source.archiveAll()
        }

        /// `prepareRows`, then the source destroyed.
        static func prepare(_ source: RestoreSource) throws {
            try prepareRows(source)
            try source.cluster.stop()
            try FileManager.default.removeItem(atPath: source.cluster.dataDirectory)
        }

        /// The five kinds of target, each into its own directory.
        static func restoreEveryKindOfTarget(_ restore: RestoreRun, _ source: RestoreSource) throws {
            try restore.expectRows(["--to", try source.timeBetween(6)], into: "to-time", Array(1...6))
            try restore.expectRows(["--lsn", source.rows[8].lsnAfter], into: "to-lsn", Array(1...9))
            try restore.expectRows(["--xid", String(source.rows[4].xid)], into: "to-xid", Array(1...5))
            try restore.expectRows(["--name", "after-9"], into: "to-name", Array(1...9))
            try restore.expectRows(["--to", "latest"], into: "to-latest", Array(1...12))
        }

        @Test func onFileWithTimelinesAndRefusals() throws {
            let source = try RestoreSource.onFile()
            try Self.prepare(source)
            let restore = RestoreRun(source: source)
            let fork = try source.timeBetween(7)

            try Self.restoreEveryKindOfTarget(restore, source)

            try Self.recoveryTakesTheStagedWALAndRefetchesACorruptedFile(restore, source)

            // Refusals, all before anything is written.
            try restore.expectRefusal(["--to", source.rows[0].committed], into: "refused-early", "lies before the end of the oldest usable backup")
            try restore.expectRefusal(["--name", "no-such-point"], into: "refused-name", "no restore point named 'no-such-point'")
            try restore.expectRefusal(["--to", "2026-11-27 10:00:00"], into: "refused-zone", "it has no time zone")
            let (dry, dryCopy) = try restore.run(["--to", fork, "--dry-run"], into: "dry-run")
            #expect(dry.status == 0 && dry.stdout.contains("backup: ") && !FileManager.default.fileExists(atPath: dryCopy.directory), "\(dry.stdout)\(dry.stderr)")
            let (shutdown, _) = try restore.run(["--name", "after-9", "--action", "shutdown", "--start"], into: "shut-down")
            #expect(shutdown.status == 0 && shutdown.stdout.contains("recovery: shut down at the target"), "\(shutdown.stdout)\(shutdown.stderr)")
            let occupied = try source.sandbox.makeDirectory("occupied")
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: occupied + "/note"))
            let (busy, _) = try restore.run(["--to", "latest"], into: "occupied")
            #expect(busy.status == 1 && busy.stderr.contains("is not empty"), "\(busy.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: occupied) == ["note"])

            // Timeline 2: a copy promoted at the fork, archiving into the same repository, gets rows of its own.
            let (_, onTwo) = try Self.promoteOntoTimeline2(restore, source)
            try restore.expectRows(["--to", onTwo], into: "on-timeline-2", Array(1...7) + [101, 102])
            try restore.expectRows(["--to", try source.timeBetween(5)], into: "before-fork", Array(1...5))
            try restore.expectRefusal(["--to", try source.timeBetween(10)], into: "ambiguous", "exists on timelines")
            try restore.expectRows(["--to", try source.timeBetween(10), "--timeline", "1"], into: "on-timeline-1", Array(1...10))
        }

        /// A copy restored to between rows 7 and 8 and promoted with --archive commits rows 101-103 on timeline 2
        /// and archives them into the same repository. Returns the stopped copy and a time between rows 102 and 103.
        static func promoteOntoTimeline2(_ restore: RestoreRun, _ source: RestoreSource) throws -> (copy: RestoredCopy, betweenRows102And103: String) {
            let promoted = try restore.expectRows(["--to", try source.timeBetween(7), "--action", "promote", "--archive"],
                                                  into: "timeline-2", Array(1...7), keep: true)
            defer { promoted.stop() }
            #expect(try promoted.query("select timeline_id from pg_control_checkpoint()") == "2")
            var commits: [String] = []
            for id in 101...103 {
                _ = try promoted.query("insert into ticks values (\(id), 'timeline 2')")
                commits.append(try promoted.query("select pg_xact_commit_timestamp(xmin) from ticks where id = \(id)"))
                usleep(20_000)
            }
            let lastOnTwo = try promoted.query("select pg_walfile_name(pg_switch_wal())")
            try waitUntil("the promoted copy to archive \(lastOnTwo)") {
                try promoted.query("select coalesce(last_archived_wal, '') >= '\(lastOnTwo)' from pg_stat_archiver") == "t"
            }
            return (promoted, try midpoint(commits[1], commits[2]))
        }

        /// A restore without --start stages the plan's WAL in the copy's pg_wal; recovery takes it from there,
        /// except a staged file damaged after the restore, which it fetches from the repository instead.
        static func recoveryTakesTheStagedWALAndRefetchesACorruptedFile(_ restore: RestoreRun, _ source: RestoreSource) throws {
            let (result, copy) = try restore.run(["--to", try source.timeBetween(8)], into: "staged")
            #expect(result.status == 0 && result.stdout.contains("staged for recovery"), "\(result.stdout)\(result.stderr)")
            let folder = copy.directory + "/pg_wal/tailtown-pitr/prefetch"
            let staged = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".staged") }.map { String($0.dropLast(7)) }.sorted()
            #expect(staged.count >= 2, "\(staged)")
            #expect(copy.notOwnedByPostgres().isEmpty)
            guard let damaged = staged.first else { return }
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: folder + "/" + damaged))
            try handle.seek(toOffset: 600_000)
            try handle.write(contentsOf: Data([0x5A]))
            try handle.close()

            let log = copy.directory + "/../staged.log"
            try Command.runAsPostgres(try PostgreSQL.tool("pg_ctl"), ["-D", copy.directory, "-l", log, "-w", "start"]).check()
            defer { copy.stop() }
            try waitUntil("the copy to pause at the target") { (try? copy.query("select pg_get_wal_replay_pause_state()")) == "paused" }
            #expect(try copy.ids() == Array(1...8))
            let messages = try String(contentsOfFile: log, encoding: .utf8)
            #expect(messages.contains("prefetch/\(damaged)' is not served and is fetched again"), "\(messages)")
            // Every staged segment was taken (or, the damaged one, removed): the prefetcher removes all but
            // the one recovery stopped in, which a later recovery's start removes.
            try waitUntil("the prefetcher to remove the segments recovery moved past", seconds: 10,
                          detail: { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().joined(separator: " ") }) {
                (try FileManager.default.contentsOfDirectory(atPath: folder)).filter { $0.hasSuffix(".staged") }.count <= 1
            }
        }

        @Test func onS3() throws {
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket("it-restore", prefix: "pg/main")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(),
                                                    compression: "zstd", encrypted: true)
            let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown)
            try Self.prepare(source)
            let restore = RestoreRun(source: source)
            try Self.restoreEveryKindOfTarget(restore, source)
            // A standby keeps following the archive: open for reads, still in recovery.
            let (started, standby) = try restore.run(["--to", "latest", "--standby", "--start"], into: "standby")
            defer { standby.stop() }
            #expect(started.status == 0 && started.stdout.contains("running as a standby"), "\(started.stdout)\(started.stderr)")
            // It opens for reads once consistent (at the end of the backup) and replays the rest of the archive after.
            try waitUntil("the standby to replay every archived row", seconds: 60) { try standby.ids() == Array(1...12) }
            #expect(try standby.query("select pg_is_in_recovery()") == "t")
            #expect(FileManager.default.fileExists(atPath: standby.directory + "/standby.signal"))
        }
    }
}
