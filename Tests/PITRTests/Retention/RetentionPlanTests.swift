import Foundation
import Testing
@testable import PITRBackup
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL

/// A repository with seven backups over fifteen months, a promotion to timeline 2 and an old
/// branch to timeline 3, worked by hand. Now is 2026-06-15T12:00:00Z; policy daily=3 monthly=3 yearly=1.
struct RetentionScenario {
    static let now = UTCTime(iso8601: "2026-06-15T12:00:00Z")!
    static let policy = RetentionPolicy(counts: [.daily: 3, .monthly: 3, .yearly: 1])
    let repo: SyntheticRepository
    var backups: [String: BackupDescriptor] = [:]

    init(key: MasterKey? = nil, storage: Storage? = nil) throws {
        repo = try SyntheticRepository(key: key, storage: storage)
        try repo.addSegments(5...64)
        try repo.putWAL(.partial(repo.segment(1, 65)), Array("partial".utf8))
        try repo.addHistory(timeline: 2, ancestors: [(1, 65)])
        try repo.addSegments(timeline: 2, 65...75)
        try repo.addHistory(timeline: 3, ancestors: [(1, 25)])
        try repo.addSegments(timeline: 3, 25...27)
        backups["b1"] = try repo.addBackup(stoppedAt: "2025-03-10T02:00:00Z", start: 10)               // nothing keeps it
        backups["b2"] = try repo.addBackup(stoppedAt: "2026-04-20T02:00:00Z", start: 20, stop: 21)     // monthly (April)
        backups["b3"] = try repo.addBackup(stoppedAt: "2026-05-31T23:00:00Z", start: 30)               // monthly (May)
        backups["b4"] = try repo.addBackup(stoppedAt: "2026-06-12T02:00:00Z", start: 40)               // nothing: older than 3 days
        backups["b5"] = try repo.addBackup(stoppedAt: "2026-06-13T10:00:00Z", start: 50)               // daily: the window starts here
        backups["b6"] = try repo.addBackup(stoppedAt: "2026-06-14T10:00:00Z", start: 60)               // daily
        backups["b7"] = try repo.addBackup(stoppedAt: "2026-06-15T01:00:00Z", start: 70, timeline: 2)  // daily, monthly, yearly, newest
    }

    func segmentKeys(_ timeline: UInt32, _ numbers: ClosedRange<UInt64>) -> [String] {
        numbers.map { repo.walKey(.segment(repo.segment(timeline, $0))) }
    }

    func backupFileKey(_ name: String) -> String {
        let backup = backups[name]!
        return repo.walKey(.backup(WALSegmentName.segment(containing: backup.startLSN, timeline: backup.timeline, segmentSize: repo.segmentSize), offset: 0x28))
    }

    func backupKeys(_ name: String) -> [String] {
        let backup = backups[name]!
        return [BackupDescriptor.key(of: backup.name)] + backup.objects.map { BackupDescriptor.objectKey(backup: backup.name, object: $0.name) }
    }

    /// What no kept backup needs, by hand.
    var expectedDeletedWAL: Set<String> {
        Set(segmentKeys(1, 5...19) + segmentKeys(1, 22...29) + segmentKeys(1, 31...49) + segmentKeys(3, 25...27)
            + [backupFileKey("b1"), backupFileKey("b4")])
    }
}

@Suite struct RetentionPlanTests {
    @Test func plansExactlyWhatNoKeptBackupNeedsAndDeletesIt() throws {
        let scenario = try RetentionScenario()
        let repo = scenario.repo
        let now = RetentionScenario.now
        // An interrupted backup two days old, one still running, and a stale and a fresh temporary file.
        try repo.putObject("backups/20260101T000000Z-000000010000000000000011/base.tar.0000", [1, 2, 3])
        try repo.age(repo.path("backups/20260101T000000Z-000000010000000000000011/base.tar.0000"), by: 2 * 86_400, before: now)
        try repo.putObject("backups/20260615T110000Z-000000020000000000000049/base.tar.0000", [1, 2, 3])
        try repo.age(repo.path("backups/20260615T110000Z-000000020000000000000049/base.tar.0000"), by: 3600, before: now)
        let folder = repo.path(repo.walKey(.segment(repo.segment(1, 45)))).split(separator: "/").dropLast().joined(separator: "/")
        let staleTemporary = "/" + folder + "/.000000010000000000000045.999.tmp"
        let freshTemporary = "/" + folder + "/.000000010000000000000046.998.tmp"
        FileManager.default.createFile(atPath: staleTemporary, contents: Data([1]))
        FileManager.default.createFile(atPath: freshTemporary, contents: Data([1]))
        try repo.age(staleTemporary, by: 2 * 86_400, before: now)
        try repo.age(freshTemporary, by: 60, before: now)
        // Everything else is fresh too: only the leftovers above are dated.

        let before = Set(try repo.keys())
        let inventory = try RepositoryInventory.load(repository: repo.repository)
        let plan = try RetentionPlanner(inventory: inventory).plan(policy: RetentionScenario.policy, now: now)

        var kept: [String: [RetentionClass]] = [:]
        for decision in plan.classification.kept { kept[decision.backup.name] = decision.classes }
        let names = scenario.backups.mapValues(\.name)
        #expect(kept == [
            names["b2"]!: [.monthly], names["b3"]!: [.monthly], names["b5"]!: [.daily], names["b6"]!: [.daily],
            names["b7"]!: [.daily, .monthly, .yearly, .newest],
        ])
        #expect(plan.backups.map(\.backup.name) == [names["b1"]!, names["b4"]!])
        let plannedWAL = Set(plan.wal.flatMap { $0.files.map(\.object.key) })
        #expect(plannedWAL == scenario.expectedDeletedWAL)
        #expect(plan.orphans.map(\.key) == ["backups/20260101T000000Z-000000010000000000000011/base.tar.0000"])
        #expect(plan.abandonedUploads.map(\.key) == [String(staleTemporary.dropFirst(repo.root.count + 1))])

        // Oldest first: an interruption leaves the newest WAL in place.
        let order = plan.wal[0].files.map { RetentionPlanner.walOrder($0.file, repo.segmentSize) }
        #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 })

        let text = plan.text
        #expect(text.contains("delete  WAL 15-\(repo.identity.systemIdentifier) 000000010000000000000005..000000010000000000000013  16 files"))
        #expect(text.contains("000000030000000000000019..00000003000000000000001B  3 files"))
        #expect(text.contains("keep    \(names["b7"]!)  daily,monthly,yearly,newest"))
        #expect(text.contains("total: 2 backups, 47 WAL files, 2 other objects"))

        // Nothing changes without executing it.
        #expect(Set(try repo.keys()) == before)
        try plan.execute(on: repo.storage, log: Log(level: .error))
        let expectedGone = scenario.expectedDeletedWAL.union(scenario.backupKeys("b1")).union(scenario.backupKeys("b4"))
            .union(["backups/20260101T000000Z-000000010000000000000011/base.tar.0000"])
        #expect(Set(try repo.keys()) == before.subtracting(expectedGone))
        #expect(!FileManager.default.fileExists(atPath: staleTemporary))
        #expect(FileManager.default.fileExists(atPath: freshTemporary))

        // A second run finds nothing more.
        let again = try RetentionPlanner(inventory: try RepositoryInventory.load(repository: repo.repository)).plan(policy: RetentionScenario.policy, now: now)
        #expect(again.isEmpty)
    }

    @Test func permanentMarkKeepsABackupAndItsOwnWAL() throws {
        let scenario = try RetentionScenario()
        let marks = PermanentMarks(repository: scenario.repo.repository)
        try marks.keep(scenario.backups["b1"]!.name, now: RetentionScenario.now)
        #expect(throws: RetentionError.self) { try marks.keep("no-such-backup", now: RetentionScenario.now) }
        let plan = try RetentionPlanner(inventory: try RepositoryInventory.load(repository: scenario.repo.repository))
            .plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
        #expect(plan.classification.classes(of: scenario.backups["b1"]!.name) == [.permanent])
        let plannedWAL = Set(plan.wal.flatMap { $0.files.map(\.object.key) })
        #expect(plannedWAL == scenario.expectedDeletedWAL.subtracting(scenario.segmentKeys(1, 10...10) + [scenario.backupFileKey("b1")]))
        try marks.unkeep(scenario.backups["b1"]!.name, now: RetentionScenario.now)
        #expect(try marks.list().isEmpty)
        // Each mark is an object of its own, the newest deciding; an earlier release's single `keep` is the oldest.
        let folder = BackupDescriptor.objectKey(backup: scenario.backups["b2"]!.name, object: "")
        try scenario.repo.putObject(folder + "keep", Array("format=1\n".utf8))
        #expect(try marks.list() == [scenario.backups["b2"]!.name])
        try marks.unkeep(scenario.backups["b2"]!.name, now: RetentionScenario.now)
        try marks.keep(scenario.backups["b2"]!.name, now: RetentionScenario.now)
        #expect(try marks.list() == [scenario.backups["b2"]!.name])
        #expect(try scenario.repo.keys().filter { $0.hasPrefix(folder) && $0.contains("keep") } == [folder + "keep", folder + "keep.00000002", folder + "unkeep.00000001"])
        let again = try RetentionPlanner(inventory: try RepositoryInventory.load(repository: scenario.repo.repository))
            .plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
        // b1's marks go with its folder; b2's older ones are superseded.
        #expect(again.backups.map(\.backup.name).contains(scenario.backups["b1"]!.name))
        #expect(Set(again.superseded.map(\.key)) == [folder + "keep", folder + "unkeep.00000001"])
    }

    /// The same plan on S3 (moto): listing times, DeleteObjects batches, and a repository that still verifies deep.
    @Test func sameOnS3() throws {
        let scenario = try RetentionScenario(key: MasterKey(bytes: Array(repeating: 3, count: 32))!, storage: try S3TestRepository.make("retention"))
        let repo = scenario.repo
        let listed = try repo.storage.listObjects(prefix: "wal/")
        #expect(listed.allSatisfy { abs(($0.lastModified?.secondsSinceEpoch ?? 0) - UTCTime.now().secondsSinceEpoch) < 600 })
        #expect(listed.allSatisfy { $0.storageClass == "STANDARD" })
        let before = Set(try repo.keys())
        try RetentionPlanner(inventory: try RepositoryInventory.load(repository: repo.repository))
            .plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
            .execute(on: repo.storage, log: Log(level: .error))
        let gone = scenario.expectedDeletedWAL.union(scenario.backupKeys("b1")).union(scenario.backupKeys("b4"))
        #expect(Set(try repo.keys()) == before.subtracting(gone))
        let report = RepositoryVerifier(inventory: try RepositoryInventory.load(repository: repo.repository),
                                        policy: RetentionScenario.policy, now: RetentionScenario.now, deep: true).run()
        #expect(report.isSound, "\(report.text)")
        #expect(S3Storage.listingTime("2026-11-27T01:02:03.000Z") == UTCTime(iso8601: "2026-11-27T01:02:03Z"))
        #expect(S3Storage.listingTime("yesterday") == nil)
    }

    /// `archive.info` sealed again after each key rotation: `delete` plans and removes all of those but the newest, never
    /// the first `archive.info`, and the archive still reads under the newest key alone. An earlier release's consent,
    /// which a sealed one superseded (and which nothing reads once the archive exists), goes too.
    @Test func supersededArchiveRecordsGo() throws {
        let keys = (1...3).map { MasterKey(bytes: Array(repeating: UInt8($0), count: 32))! }
        let repo = try SyntheticRepository(key: keys[0])
        try repo.addSegments(1...2)
        let legacyConsent = "wal/\(repo.identity.archiveID)/accepted"
        let upload = try repo.storage.startUpload(legacyConsent)
        try Array("accepted=2026-01-01T00:00:00Z\n".utf8).withUnsafeBytes { try upload.write($0) }
        #expect(try upload.commit() == .stored)
        let consent = try ClusterAdmission(repository: repo.repository).accept(repo.identity, now: .now())
        #expect(consent == repo.storage.describe("wal/\(repo.identity.archiveID)/consent/accepted.00000001"))
        let rotated = try repo.rotate(through: Array(keys.dropFirst()))
        let info = repo.archive.infoKey
        #expect(try repo.storage.list(prefix: info) == [info, info + ".sealed.00000001", info + ".sealed.00000002"])
        let planner = { try RetentionPlanner(inventory: RepositoryInventory.load(repository: rotated)) }
        let plan = try planner().plan(policy: RetentionScenario.policy, now: .now())
        #expect(Set(plan.superseded.map(\.key)) == [info + ".sealed.00000001", legacyConsent])
        #expect(plan.text.contains("delete  2 records a newer one supersedes (earlier verify results, window proofs, permanent marks, archive.info sealed again and cluster consents)"), "\(plan.text)")
        #expect(try plan.execute(on: repo.storage, log: Log(level: .error)).deleted == 2)
        #expect(try repo.storage.list(prefix: info) == [info, info + ".sealed.00000002"])
        #expect(try repo.storage.list(prefix: legacyConsent).isEmpty)
        #expect(try repo.storage.list(prefix: "wal/\(repo.identity.archiveID)/consent/") == ["wal/\(repo.identity.archiveID)/consent/accepted.00000001"])
        let newest = Repository(storage: repo.storage, key: keys[2])
        #expect(try WALArchive(repository: newest, identity: repo.identity).checkedSegmentSize() == repo.segmentSize)
        #expect(try planner().plan(policy: RetentionScenario.policy, now: .now()).superseded.isEmpty)
    }

    /// A record that takes a newer name without being sealed by a key of the key file (anyone who can write to the bucket
    /// can put one there) supersedes nothing: `delete` never removes the genuine newest `archive.info` or consent for it.
    @Test func aForgedNewerRecordSupersedesNothing() throws {
        let keys = (1...2).map { MasterKey(bytes: Array(repeating: UInt8($0), count: 32))! }
        let repo = try SyntheticRepository(key: keys[0])
        try repo.addSegments(1...2)
        _ = try ClusterAdmission(repository: repo.repository).accept(repo.identity, now: .now())
        let rotated = try repo.rotate(through: [keys[1]])
        let info = repo.archive.infoKey
        func forge(_ key: String) throws {
            let upload = try repo.storage.startUpload(key)
            try Array("accepted=2026-01-01T00:00:00Z\n".utf8).withUnsafeBytes { try upload.write($0) }
            #expect(try upload.commit() == .stored)
        }
        try forge("wal/\(repo.identity.archiveID)/consent/accepted.00000002")
        let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: rotated)).plan(policy: RetentionScenario.policy, now: .now())
        #expect(plan.superseded.isEmpty, "\(plan.superseded.map(\.key))")
        // A forged newest archive.info record makes the archive unreadable (loudly), and removes nothing.
        try forge(info + ".sealed.00000002")
        let archive = WALArchive(repository: rotated, identity: repo.identity)
        #expect(try archive.supersededRecords(in: repo.storage.listObjects(prefix: archive.folder + "/")).isEmpty)
        #expect(try rotated.metadataObjects(archives: [repo.identity]).map(\.key).contains(info + ".sealed.00000001"))
    }

    @Test func runsFoldBackupFilesAndBreakAtGaps() {
        let size = WALSegmentSize.standard
        func entry(_ file: WALFileName) -> (file: WALFileName, object: StoredObject) { (file, StoredObject(key: file.fileName, size: 10)) }
        func segment(_ n: UInt64) -> WALSegmentName { WALSegmentName(timeline: TimelineID(1), number: n, segmentSize: size) }
        let runs = RetentionPlan.runs([entry(.segment(segment(255))), entry(.segment(segment(256))), entry(.backup(segment(256), offset: 0x28)),
                                       entry(.segment(segment(257))), entry(.segment(segment(300)))])
        #expect(runs == [
            .init(first: "0000000100000000000000FF", last: "000000010000000100000001", count: 4, bytes: 40),
            .init(first: "00000001000000010000002C", last: "00000001000000010000002C", count: 1, bytes: 10),
        ])
    }
}
