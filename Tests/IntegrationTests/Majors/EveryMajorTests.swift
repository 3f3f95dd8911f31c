import Foundation
import Testing
import PITRRestore
import PITRSupport
import PITRWAL

extension PostgreSQLIntegration {
    /// The end-to-end proofs on every supported major, each with that major's own programs: archiving under
    /// pgbench through wal-push with push-ahead, a copy recovered through wal-fetch with prefetch, the push and
    /// fetch contracts, backup-push checked by that major's pg_verifybackup, status and check against
    /// pg_stat_archiver, restore to every kind of target, a timeline switch, and the decoder against pg_waldump
    /// on the new timeline's WAL. One primary serves them all. Data checksums are on for 16 and 18 (18's
    /// initdb default), off for 15 and 17.
    @Suite struct EveryMajor {
        @Test(arguments: PostgreSQL.supportedMajors)
        func endToEnd(major: Int) throws {
            let clock = Date()
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            // Debug lines in the server log show push-ahead and prefetch at work.
            _ = try tailtown.adding(["TAILTOWN_LOG_LEVEL=debug"], as: FileSystem.basename(of: tailtown.configFile))
            let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown, major: major, checksums: major == 16 ? true : nil)
            let primary = source.cluster
            #expect(try primary.query("show data_checksums") == (major == 16 || major == 18 ? "on" : "off"))
            #expect(try primary.query("show server_version_num").hasPrefix(String(major)))

            // A copy taken before the load, recovered later through wal-fetch alone (pg_basebackup -X none).
            let replica = try PostgresCluster.baseBackup(of: primary, name: "replica")

            // A backlog of .ready segments (archive_command off during pgbench -i), so push-ahead has work for certain.
            try setArchiveCommand(primary, "")
            try primary.pgbench(["-i", "-q", "-s", "4"])
            try setArchiveCommand(primary, tailtown.archiveCommand)
            try primary.pgbench(["-n", "-c", "2", "-j", "2", "-t", "300"])

            // Rows 1-3, backup, rows 4-9, restore point "after-9", rows 10-12, everything archived.
            try PointInTimeRestoreTests.prepareRows(source)
            let fingerprint = try primary.pgbenchFingerprint()
            #expect(try primary.archiveFailures() == 0)
            let pushedAhead = primary.logTail(lines: 1_000_000).components(separatedBy: "was already stored by push-ahead").count - 1
            #expect(pushedAhead > 0, "no archive_command call found its segment pushed ahead")

            try statusAndCheckReadTheArchiver(source)
            try pushAndFetchContracts(source)
            try primary.stop()
            try FileManager.default.removeItem(atPath: primary.dataDirectory)

            // The copy recovers through wal-fetch with prefetch to the primary's rows.
            try replica.recover(through: tailtown)
            #expect(try replica.pgbenchFingerprint() == fingerprint)
            #expect(try replica.query("select count(*) from ticks") == "12")
            #expect(replica.logTail(lines: 1_000_000).contains(": staged, waited"), "no segment was handed over by the prefetcher")
            try replica.stop()

            // backup-push's backup, laid out by restore, passes this major's pg_verifybackup.
            let restore = RestoreRun(source: source)
            let (laidOut, copy) = try restore.run(["--immediate"], into: "verify-backup")
            #expect(laidOut.status == 0, "\(laidOut.stdout)\(laidOut.stderr)")
            let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup", major: major), ["-n", copy.directory])
            #expect(verify.status == 0 && verify.stdout.contains("backup successfully verified"), "\(verify.stdout)\(verify.stderr)")

            // Every kind of target, then a timeline switch.
            try PointInTimeRestoreTests.restoreEveryKindOfTarget(restore, source)
            try restore.expectRows(["--immediate"], into: "to-immediate", Array(1...3))
            try timelineSwitch(restore, source)
            print("PostgreSQL \(major): end to end in \(String(format: "%.0f", Date().timeIntervalSince(clock))) s")
        }

        /// A data directory of a major this build does not know (14 before the range, 19 after it) is refused by
        /// wal-push (exit 1: PostgreSQL keeps the segment) and wal-fetch (exit 200: recovery stops, never "not
        /// found"), naming the major and the supported range.
        @Test(arguments: [14, 19])
        func unsupportedMajorIsRefusedByName(major: Int) throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: false)
            let data = try sandbox.makeDirectory("data")
            try sandbox.makeDirectory("data/pg_wal")
            try sandbox.writeFile("data/PG_VERSION", "\(major)\n")
            let segment = "000000010000000000000001"
            try sandbox.writeFile("data/pg_wal/" + segment, String(repeating: "x", count: 8192))
            let message = "PostgreSQL \(major) (from './PG_VERSION') is not supported by this build of tailtown-pitr, which supports PostgreSQL 15 to 18"
            let push = try tailtown.push("pg_wal/" + segment, in: data)
            #expect(push.status == 1 && push.stderr.contains(message), "\(push.stderr)")
            let fetch = try tailtown.fetch(segment, to: "pg_wal/RECOVERYXLOG", in: data)
            #expect(fetch.status == 200 && fetch.stderr.contains(message), "\(fetch.stderr)")
            #expect(!FileManager.default.fileExists(atPath: data + "/pg_wal/RECOVERYXLOG"))
        }

        private func setArchiveCommand(_ cluster: PostgresCluster, _ command: String) throws {
            _ = try cluster.query("alter system set archive_command = '\(command.replacingOccurrences(of: "'", with: "''"))'")
            _ = try cluster.query("select pg_reload_conf()")
        }

        /// `status` shows the window from the backup to the newest commit; `check` compares the repository with
        /// the server's pg_stat_archiver and finds nothing wrong.
        private func statusAndCheckReadTheArchiver(_ source: RestoreSource) throws {
            let status = try source.sandbox.tailtown(["--config", source.tailtown.configFile, "status", "--json"]).check()
            let json = try #require(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
            let window = try #require(json["window"] as? [String: Any], "\(status)")
            #expect(window["end_is_commit"] as? Bool == true, "the end of the window is the newest commit, decoded: \(status)")
            let check = try source.sandbox.tailtown(["--config", source.tailtown.configFile, "check", "--dbname", source.cluster.conninfo])
            #expect(check.status == 0 && check.stdout == "ok\n", "\(check.stdout)\(check.stderr)")
            #expect(!check.stderr.contains("judging by the repository alone"), "check reads the server: \(check.stderr)")
        }

        /// On the last archived segment: the same bytes again succeed, different bytes are refused and change
        /// nothing; wal-fetch exits 0 with the bytes, 1 for a segment not archived, 200 for a damaged object.
        private func pushAndFetchContracts(_ source: RestoreSource) throws {
            let primary = source.cluster, tailtown = source.tailtown, data = primary.dataDirectory
            let segment = try primary.switchWAL()
            try primary.waitUntilArchived(segment)
            let identifier = try primary.systemIdentifier()
            let object = tailtown.repository.segmentObject(segment, systemIdentifier: identifier, major: primary.major)
            let original = try contents(of: object)
            #expect(try tailtown.push("pg_wal/" + segment, in: data).status == 0, "the same bytes again")

            var tampered = try contents(of: data + "/pg_wal/" + segment)
            tampered[5_000] ^= 0xFF
            let tamperedPath = try source.sandbox.makeDirectory("tampered") + "/" + segment
            try tampered.write(to: URL(fileURLWithPath: tamperedPath))
            try Sandbox.giveToPostgres(tamperedPath, mode: 0o600)
            let conflict = try tailtown.push(tamperedPath, in: data)
            #expect(conflict.status == 1 && conflict.stderr.contains("is already archived as") && conflict.stderr.contains("with different content"),
                    "\(conflict.stderr)")
            #expect(try contents(of: object) == original, "the archived object changed")

            let fetched = source.sandbox.path("fetched")
            #expect(try tailtown.fetch(segment, to: fetched, in: data).status == 0)
            #expect(try contents(of: fetched) == contents(of: data + "/pg_wal/" + segment))
            let missing = String(segment.prefix(16)) + "000000FE"
            let absent = try tailtown.fetch(missing, to: source.sandbox.path("absent"), in: data)
            #expect(absent.status == 1 && !FileManager.default.fileExists(atPath: source.sandbox.path("absent")), "\(absent.stderr)")
            var damaged = original
            damaged[damaged.count / 2] ^= 0x01
            try damaged.write(to: URL(fileURLWithPath: object))
            let refused = try tailtown.fetch(segment, to: source.sandbox.path("damaged"), in: data)
            #expect(refused.status == 200 && refused.stderr.contains("failed authentication"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: source.sandbox.path("damaged")))
            try original.write(to: URL(fileURLWithPath: object))
        }

        /// A copy promoted between rows 7 and 8 archives timeline 2 into the same repository with rows of its own;
        /// a restore onto timeline 2 holds them. The WAL of timeline 2 starts with the record that switched
        /// timelines, and the decoder reads it as this major's pg_waldump does.
        private func timelineSwitch(_ restore: RestoreRun, _ source: RestoreSource) throws {
            let (promoted, onTwo) = try PointInTimeRestoreTests.promoteOntoTimeline2(restore, source)
            try restore.expectRows(["--to", onTwo], into: "on-timeline-2", Array(1...7) + [101, 102])

            let wal = promoted.directory + "/pg_wal"
            let files = try FileManager.default.contentsOfDirectory(atPath: wal).filter { $0.count == 24 && $0.hasPrefix("00000002") }.sorted()
            let first = try #require(files.first), lastFile = try #require(files.last)
            let dump = try WALDump.read(folder: wal, from: first, to: lastFile, major: source.cluster.major)
            let decoded = try WALRecords.scanFolder(wal, files: files, segmentSizeMB: 16, major: source.cluster.major)
            #expect(dump.disagreements(with: decoded) == [])
            let switched = decoded.contains {
                switch $0.kind {
                case .endOfRecovery(TimelineID(2), TimelineID(1)), .checkpoint(_, TimelineID(2), TimelineID(1), _): true
                default: false
                }
            }
            #expect(switched, "no record of timeline 2 names timeline 1 as the one before: \(decoded.filter { !$0.isRecoveryTarget })")
            #expect(decoded.contains { $0.kind == .commit && $0.xid > 0 }, "timeline 2's commits")
        }
    }
}
