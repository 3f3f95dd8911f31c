import Testing
@testable import PITRBackup
@testable import PITRRestore
@testable import PITRWAL

/// `HeldLocks.find` over hand-made scans: which logged locks are still held at a stop.
@Suite struct HeldLocksTests {
    static func end(_ kind: WALEvent.Kind, _ lsn: UInt64, xid: UInt32, subtransactions: [UInt32] = []) -> WALEvent {
        WALEvent(kind: kind, lsn: LSN(lsn), endLSN: LSN(lsn + 0x20), xid: xid, time: PostgresTimestamp(rawValue: Int64(lsn)),
                 subtransactions: subtransactions)
    }

    static func lock(_ xid: UInt32, relation: UInt32, _ lsn: UInt64) -> StandbyLock {
        StandbyLock(xid: xid, database: 5, relation: relation, lsn: LSN(lsn))
    }

    static func held(_ scans: [WALScan], before stop: UInt64) throws -> HeldLocks? {
        try HeldLocks.find(segments: scans.count, scan: { scans[$0] }, replayed: { $0 < LSN(stop) })
    }

    @Test func aLockIsHeldUntilItsTransactionOrItsParentEnds() throws {
        let scans = [
            WALScan(events: [Self.end(.commit, 0x150, xid: 10)], firstRecordLSN: LSN(0x100), endLSN: LSN(0x1000),
                    locks: [Self.lock(10, relation: 1, 0x110), Self.lock(11, relation: 2, 0x120), Self.lock(13, relation: 3, 0x130)]),
            WALScan(events: [Self.end(.commit, 0x1100, xid: 12, subtransactions: [13]), Self.end(.commit, 0x1200, xid: 14),
                             Self.end(.abort, 0x1300, xid: 11)],
                    firstRecordLSN: LSN(0x1000), endLSN: LSN(0x2000)),
        ]
        // Before 11's abort: its lock is held, and the commits after it are what stopping before it gives up.
        let held = try #require(try Self.held(scans, before: 0x1300))
        #expect(held.locks == [Self.lock(11, relation: 2, 0x120)])
        #expect(held.readableLSN == LSN(0x120))
        #expect(held.commitsAfterFirstLock.map(\.xid) == [10, 12, 14])
        // Replayed, the abort releases it; before the subtransaction's parent commits, its lock is held too.
        #expect(try Self.held(scans, before: 0x1301) == nil)
        #expect(try Self.held(scans, before: 0x1100)?.locks.map(\.xid) == [11, 13])
    }

    @Test func readingStartsAtTheLastCheckpointsRedoAndRepeatsCountOnce() throws {
        let checkpoint = WALEvent(kind: .checkpoint(redo: LSN(0x1080), timeline: TimelineID(1), previousTimeline: TimelineID(1), online: true),
                                  lsn: LSN(0x2100), endLSN: LSN(0x2180), xid: 0, time: PostgresTimestamp(rawValue: 0))
        let scans = [
            // A lock before the redo point, of a transaction that never ends in these records: the checkpoint's snapshot
            // would have logged it again had it still been held.
            WALScan(events: [], firstRecordLSN: LSN(0x100), endLSN: LSN(0x1000), locks: [Self.lock(20, relation: 1, 0x200)]),
            WALScan(events: [], firstRecordLSN: LSN(0x1000), endLSN: LSN(0x2000),
                    locks: [Self.lock(21, relation: 2, 0x1090), Self.lock(21, relation: 2, 0x1800)]),
            WALScan(events: [checkpoint], firstRecordLSN: LSN(0x2000), endLSN: LSN(0x3000)),
        ]
        let held = try #require(try Self.held(scans, before: 0x3000))
        #expect(held.locks == [Self.lock(21, relation: 2, 0x1090)])
        // Before the checkpoint is replayed, reading starts at the first segment.
        #expect(try Self.held(scans, before: 0x2000)?.locks.map(\.xid) == [20, 21])
    }

    /// Locks are named from the plan's backup's relation names by relation OID; the rest are shown by OID with the reason.
    @Test func locksAreNamedByTheBackupsRelationOIDs() throws {
        let scans = [WALScan(events: [], firstRecordLSN: LSN(0x100), endLSN: LSN(0x1000),
                             locks: [Self.lock(10, relation: 16417, 0x110), Self.lock(10, relation: 16500, 0x120)])]
        var names = RelationNames()
        names.databases[5] = "postgres"
        names.namespaces[5] = [2200: "public"]
        names.relations[5] = [16417: .init(namespace: 2200, name: "dropped")]
        var held = try #require(try Self.held(scans, before: 0x1000))
        held.name(from: .success(names), backup: "B1")
        let report = held.report()
        #expect(report.contains("  public.dropped in database postgres (relation OID 16417 in database OID 5), locked by xid 10 at 0/110"), "\(report)")
        #expect(report.contains("  relation OID 16500 in database OID 5, locked by xid 10 at 0/120"), "\(report)")
        #expect(report.contains { $0.hasPrefix("  (shown by OID: the relation did not exist when backup B1 started;") }, "\(report)")
        // A map of format 1 keeps no relation OIDs; a backup without names says so.
        var older = try #require(try Self.held(scans, before: 0x1000))
        older.name(from: .success(try RelationNames(parsing: Array("tailtown-pitr relation names 1\n".utf8), object: "x")), backup: "B0")
        #expect(older.names.isEmpty && older.namesMissing == "backup B0's relation names keep no relation OIDs (taken by an earlier release)")
        older.name(from: .success(nil), backup: "B0")
        #expect(older.namesMissing?.hasPrefix("backup B0 holds no relation names") == true)
    }
}
