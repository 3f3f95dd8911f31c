import Foundation
import Testing
@testable import PITRBackup
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRWAL

/// After a pg_upgrade a repository holds two clusters; `delete` classifies each on its own, so the
/// newer cluster never makes the old one's newest backup, or the WAL its window needs, expendable.
@Suite struct UpgradeRetentionTests {
    static let now = UTCTime(iso8601: "2026-06-15T12:00:00Z")!

    @Test func theOldClustersNewestBackupAndItsWALSurviveTheUpgrade() throws {
        let old = try SyntheticRepository()
        try old.addSegments(5...30)
        let first = try old.addBackup(stoppedAt: "2026-06-01T02:00:00Z", start: 10)
        let last = try old.addBackup(stoppedAt: "2026-06-10T02:00:00Z", start: 20)
        let new = try SyntheticRepository(storage: old.storage,
                                          identity: ClusterIdentity(majorVersion: 18, systemIdentifier: 7_400_000_000_000_000_002))
        try new.addSegments(31...40)
        let upgraded = try new.addBackup(stoppedAt: "2026-06-15T01:00:00Z", start: 35)

        // daily=1: only today's backup would anchor a window if the clusters were pooled.
        let policy = RetentionPolicy(counts: [.daily: 1])
        let plan = try RetentionPlanner(inventory: try RepositoryInventory.load(repository: old.repository)).plan(policy: policy, now: Self.now)
        #expect(plan.classification.classes(of: upgraded.name) == [.daily, .newest])
        #expect(plan.classification.classes(of: last.name) == [.newest])
        #expect(plan.backups.map(\.backup.name) == [first.name])

        // The old cluster loses only what its first backup alone needed; the new one loses what lies before its backup.
        let deleted = Dictionary(uniqueKeysWithValues: plan.wal.map { ($0.identity, Set($0.files.map(\.file))) })
        let oldGone = Set((5...19).map { WALFileName.segment(old.segment(1, $0)) } + [.backup(old.segment(1, 10), offset: 0x28)])
        #expect(deleted[old.identity] == oldGone)
        #expect(deleted[new.identity] == Set((31...34).map { WALFileName.segment(new.segment(1, $0)) }))
    }

    @Test func classesArePerClusterWhateverTheOrderOfStopTimes() {
        func backup(_ name: String, _ stop: String, major: Int) -> BackupDescriptor {
            BackupDescriptor(name: name, label: "t", startLSN: LSN(0x2000028), stopLSN: LSN(0x2000100),
                             startTime: UTCTime(iso8601: stop)!, stopTime: UTCTime(iso8601: stop)!, stopMoment: nil,
                             timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: UInt64(major),
                             serverVersion: major * 10000, segmentSize: WALSegmentSize.standard.bytes, tablespaces: [],
                             compression: .none, cipher: "none", keyID: "", objects: [])
        }
        let backups = [backup("a", "2026-06-14T01:00:00Z", major: 15), backup("b", "2026-06-14T02:00:00Z", major: 18),
                       backup("c", "2026-06-14T03:00:00Z", major: 15)]
        let classification = RetentionClassification(backups: backups, permanent: [], policy: RetentionPolicy(counts: [.daily: 2]), now: Self.now)
        #expect(classification.classes(of: "a") == [])
        #expect(classification.classes(of: "b") == [.daily, .newest])
        #expect(classification.classes(of: "c") == [.daily, .newest])
    }
}
