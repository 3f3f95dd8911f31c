import Foundation
import Testing
import PITRRepository
import PITRRestore
import PITRStorage
import PITRWAL

extension PostgreSQLIntegration {
    /// The WAL decoder against a real cluster of each supported major and that major's pg_waldump, then the
    /// event locator against the same WAL archived by wal-push. One cluster serves every check (1 MiB
    /// segments, so a few seconds of work spread over some 25 segments).
    @Suite struct WALRecords {
        @Test(arguments: PostgreSQL.supportedMajors)
        func decoderAgreesWithPGWaldumpAndTheLocatorFindsEveryTarget(major: Int) throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: false)
            // 18 with checksums off here (EveryMajor runs it with its default, on).
            let cluster = try PostgresCluster.initialize(in: sandbox, name: "primary", walSegmentSizeMB: 1, major: major,
                                                         checksums: major == 18 ? false : nil)
            try cluster.archive(through: tailtown)
            try cluster.configure([
                ("track_commit_timestamp", "on"), ("timezone", "UTC"), ("max_prepared_transactions", "5"),
                ("checkpoint_timeout", "1d"), ("max_wal_size", "4GB"), ("wal_keep_size", "1GB"),
            ])
            try cluster.start()
            let workload = try Workload.run(on: cluster)
            let last = try cluster.switchWAL()
            try cluster.waitUntilArchived(last)
            let systemIdentifier = try #require(UInt64(try cluster.systemIdentifier()))
            try cluster.stop()

            // 1. Every commit, abort and restore point of pg_wal, as pg_waldump sees them.
            let walFolder = cluster.dataDirectory + "/pg_wal"
            let files = try FileManager.default.contentsOfDirectory(atPath: walFolder).filter { $0.count == 24 }.sorted()
            let dump = try WALDump.read(folder: walFolder, from: try #require(files.first), to: try #require(files.last), major: major)
            let decoded = try Self.scanFolder(walFolder, files: files, major: major)
            let restorePoints = dump.entries.filter { if case .restorePoint = $0.kind { return true } else { return false } }
            #expect(restorePoints.count == 1)
            let checkpoints = dump.entries.filter { if case .checkpoint(_, _, _, online: true) = $0.kind { return true } else { return false } }
            #expect(checkpoints.count >= 1, "the workload's CHECKPOINT")
            #expect(dump.entries.count > 300, "the workload should have left hundreds of commits")
            #expect(dump.disagreements(with: decoded) == [])
            let restorePoint = try #require(decoded.first { $0.kind == .restorePoint(name: "before-x") })
            #expect(restorePoint.endLSN == workload.restorePointLSN, "pg_create_restore_point returns the end of its record")
            #expect(decoded.contains { $0.kind == .commit && $0.xid == workload.committedPreparedXID })
            #expect(decoded.contains { $0.kind == .abort && $0.xid == workload.rolledBackPreparedXID })

            // 2. The locator over the archive agrees with a brute-force search of the decoded events.
            let repository = PITRRepository.Repository(storage: FileStorage(root: tailtown.repository.root), key: nil)
            let index = try ArchiveIndex.load(repository: repository,
                                              identity: ClusterIdentity(majorVersion: major, systemIdentifier: systemIdentifier))
            let segments = index.segments(on: TimelineID(1))
            let archived = decoded.filter { event in
                segments.contains(WALSegmentName.segment(containing: event.lsn, timeline: TimelineID(1), segmentSize: index.segmentSize))
            }
            #expect(segments.count >= 20)
            let transactions = archived.filter { $0.kind == .commit || $0.kind == .abort }
            func locator(slack: Int64 = ArchiveEventLocator.defaultSlackMicroseconds) -> ArchiveEventLocator {
                ArchiveEventLocator(index: index, slackMicroseconds: slack)
            }

            // Time: a commit in the middle of the spread-out part; inclusive stops after it, exclusive at it.
            let middle = try #require(transactions.first { $0.time >= workload.middleOfSpread })
            for exclusive in [false, true] {
                let expected = transactions.first { exclusive ? $0.time >= middle.time : $0.time > middle.time }
                let tight = locator(slack: 1_000_000)
                #expect(try tight.stopEvent(for: .time(middle.time), exclusive: exclusive, in: segments) == expected)
                let bound = Int(2 * log2(Double(segments.count))) + 3
                print("time search (exclusive: \(exclusive)) over \(segments.count) segments, 1 s slack: \(tight.downloads) downloads (bound \(bound))")
                #expect(tight.downloads <= bound)
                let relaxed = locator()
                #expect(try relaxed.stopEvent(for: .time(middle.time), exclusive: exclusive, in: segments) == expected)
                print("time search (exclusive: \(exclusive)) over \(segments.count) segments, 10 s slack: \(relaxed.downloads) downloads")
            }
            let first = try #require(transactions.first)
            #expect(try locator().stopEvent(for: .time(PostgresTimestamp(rawValue: first.time.rawValue - 1)), exclusive: false, in: segments) == first)
            let newest = try #require(transactions.last)
            #expect(try locator().stopEvent(for: .time(newest.time), exclusive: false, in: segments) == transactions.last { $0.time > newest.time })

            // Xid: an ordinary commit, an abort and both prepared transactions.
            let ordinary = transactions[transactions.count / 2]
            let aborted = try #require(transactions.last { $0.kind == .abort && $0.xid != workload.rolledBackPreparedXID })
            for xid in [ordinary.xid, aborted.xid, workload.committedPreparedXID, workload.rolledBackPreparedXID] {
                let search = locator()
                #expect(try search.stopEvent(for: .xid(xid), exclusive: false, in: segments) == transactions.first { $0.xid == xid })
                print("xid search for \(xid): \(search.downloads) downloads")
            }
            #expect(try locator().stopEvent(for: .xid(4_000_000_000), exclusive: false, in: segments) == nil)

            // Name: the restore point, and one that does not exist.
            #expect(try locator().stopEvent(for: .name("before-x"), exclusive: false, in: segments) == restorePoint)
            #expect(try locator().stopEvent(for: .name("never-made"), exclusive: false, in: segments) == nil)

            // Newest event, and the targets the locator does not place.
            let newestSearch = locator()
            #expect(try newestSearch.newestEvent(in: segments) == archived.last(where: \.isRecoveryTarget))
            #expect(newestSearch.downloads <= 3)
            #expect(throws: WALRecordError.self) { try locator().stopEvent(for: .lsn(LSN(0)), exclusive: false, in: segments) }
        }

        /// Every event of the segments in `folder`, each scan continuing into the next file.
        static func scanFolder(_ folder: String, files: [String], segmentSizeMB: Int = 1, major: Int) throws -> [WALEvent] {
            let scanner = WALRecordScanner(segmentSize: try WALSegmentSize(megabytes: segmentSizeMB), majorVersion: major)
            var events: [WALEvent] = []
            for (position, file) in files.enumerated() {
                var following = position + 1
                let bytes = [UInt8](try contents(of: folder + "/" + file))
                let scan = try scanner.scan(segment: try WALSegmentName(parsing: file), bytes: bytes) {
                    guard following < files.count else { return nil }
                    defer { following += 1 }
                    return [UInt8](try contents(of: folder + "/" + files[following]))
                }
                events += scan.events
            }
            return events
        }
    }
}

/// What the WAL decoder is tested on: hundreds of small commits spread over time and segments, aborts,
/// segments without transactions, a 200 kB row, a 1.28 MB record longer than a segment, prepared
/// transactions committed and rolled back, and a restore point.
private struct Workload {
    let restorePointLSN: LSN
    let committedPreparedXID: UInt32
    let rolledBackPreparedXID: UInt32
    /// A time in the middle of the spread-out commits.
    let middleOfSpread: PostgresTimestamp

    static func run(on cluster: PostgresCluster) throws -> Workload {
        _ = try cluster.query("create table t (id serial primary key, v text)")
        // 24 groups a quarter of a second apart, each in a segment of its own: 12 commits and
        // 2 aborts per group, except groups 8 and 16, which write only a non-transactional message.
        let spread = """
            do $$
            begin
              for g in 1..24 loop
                if g % 8 = 0 then
                  perform pg_logical_emit_message(false, 'idle', 'no transaction here');
                else
                  for i in 1..14 loop
                    insert into t (v) values ('g' || g || ' i' || i);
                    if i % 7 = 0 then rollback; else commit; end if;
                  end loop;
                end if;
                perform pg_switch_wal();
                perform pg_sleep(0.25);
                commit;
              end loop;
            end $$
            """
        let start = try PostgresTimestamp(parsing: try cluster.query("select now()"))
        _ = try cluster.query(spread)
        let end = try PostgresTimestamp(parsing: try cluster.query("select now()"))
        _ = try cluster.query("insert into t (v) select string_agg(md5(random()::text), '') from generate_series(1, 6250)")
        _ = try cluster.query("select pg_logical_emit_message(true, 'big', repeat(md5(random()::text), 40000))")
        _ = try cluster.query("begin; insert into t (v) values ('prepared 1'); prepare transaction 'gx1'")
        _ = try cluster.query("begin; insert into t (v) values ('prepared 2'); prepare transaction 'gx2'")
        let xids = try cluster.query("select string_agg(transaction::text, ' ' order by gid) from pg_prepared_xacts")
            .split(separator: " ").compactMap { UInt32($0) }
        _ = try cluster.query("commit prepared 'gx1'")
        _ = try cluster.query("rollback prepared 'gx2'")
        let restorePoint = try LSN(parsing: try cluster.query("select pg_create_restore_point('before-x')"))
        _ = try cluster.query("checkpoint")
        _ = try cluster.query("insert into t (v) values ('after the restore point')")
        guard xids.count == 2 else { throw HarnessError.system("expected two prepared transactions, found \(xids)") }
        return Workload(restorePointLSN: restorePoint, committedPreparedXID: xids[0], rolledBackPreparedXID: xids[1],
                        middleOfSpread: PostgresTimestamp(rawValue: (start.rawValue + end.rawValue) / 2))
    }
}
