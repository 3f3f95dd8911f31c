import Foundation
import Testing
@testable import PITRBackup
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRVerify

/// Anyone who may write to the repository (the archiver's role may PUT) can put a mark under a newer name: one that does
/// not authenticate never releases a backup the DBA kept for ever, nor makes `delete` remove the genuine marks.
@Suite struct ForgedMarkTests {
    static let randomBytes = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    static let plainUnkeep = Array("format=1\nunmarked=2026-06-15T12:00:00Z\n".utf8)

    /// Stores `bytes` under `key` as they are, as a forger (or an earlier release) would.
    static func put(_ bytes: [UInt8], at key: String, on storage: Storage) throws {
        let upload = try storage.startUpload(key)
        try bytes.withUnsafeBytes { try upload.write($0) }
        _ = try upload.commit()
    }

    static func plan(_ scenario: RetentionScenario) throws -> RetentionPlan {
        try RetentionPlanner(inventory: try RepositoryInventory.load(repository: scenario.repo.repository))
            .plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
    }

    /// The objects `verify` reports as records that do not authenticate.
    static func unauthenticated(_ scenario: RetentionScenario) throws -> [String] {
        RepositoryVerifier(inventory: try RepositoryInventory.load(repository: scenario.repo.repository), policy: RetentionScenario.policy,
                           now: RetentionScenario.now, deep: false).run().problems.filter { $0.kind == "unauthenticated_record" }.map(\.subject).sorted()
    }

    /// b1, which the policy does not keep, marked for ever; a forged unkeep of random bytes, then one in plain text,
    /// under newer names: it stays permanent, delete keeps it and its marks, verify names both; a genuine unkeep
    /// still releases it.
    static func forgedUnkeepIsPassedOver(_ scenario: RetentionScenario) throws {
        let storage = scenario.repo.storage
        let name = try #require(scenario.backups["b1"]).name
        let folder = BackupDescriptor.objectKey(backup: name, object: "")
        let marks = PermanentMarks(repository: scenario.repo.repository)
        try marks.keep(name, now: RetentionScenario.now)
        try put(randomBytes, at: folder + "unkeep.00000002", on: storage)
        try put(plainUnkeep, at: folder + "unkeep.00000003", on: storage)
        #expect(try marks.list() == [name])
        let plan = try plan(scenario)
        #expect(plan.classification.classes(of: name) == [.permanent])
        #expect(!plan.backups.map(\.backup.name).contains(name))
        #expect(!plan.superseded.contains { $0.key.hasPrefix(folder) })
        try plan.execute(on: storage, log: Log(level: .error))
        let markKeys = [folder + "keep.00000001", folder + "unkeep.00000002", folder + "unkeep.00000003"]
        #expect(try storage.list(prefix: folder).filter { $0.contains("keep") } == markKeys)
        #expect(try unauthenticated(scenario) == markKeys.dropFirst().map(storage.describe).sorted())

        try marks.unkeep(name, now: RetentionScenario.now)
        #expect(try marks.list().isEmpty)
        #expect(try Self.plan(scenario).backups.map(\.backup.name).contains(name))
    }

    @Test func aForgedUnkeepLeavesTheBackupPermanent() throws {
        try Self.forgedUnkeepIsPassedOver(try RetentionScenario())
    }

    @Test func aForgedUnkeepLeavesTheBackupPermanentOnS3() throws {
        try Self.forgedUnkeepIsPassedOver(try RetentionScenario(key: MasterKey(bytes: Array(repeating: 3, count: 32))!,
                                                                storage: try S3TestRepository.make("forged-mark")))
    }

    /// An earlier release's plain marks: a plain keep still keeps, a plain unkeep after it never releases; a sealed
    /// unkeep does, and supersedes them.
    @Test func anEarlierReleasesPlainKeepStillKeeps() throws {
        let scenario = try RetentionScenario()
        let storage = scenario.repo.storage
        let name = try #require(scenario.backups["b1"]).name
        let folder = BackupDescriptor.objectKey(backup: name, object: "")
        let marks = PermanentMarks(repository: scenario.repo.repository)
        try Self.put(Array("format=1\nmarked=2026-01-01T00:00:00Z\n".utf8), at: folder + "keep.00000001", on: storage)
        #expect(try marks.list() == [name])
        try Self.put(Self.plainUnkeep, at: folder + "unkeep.00000002", on: storage)
        #expect(try marks.list() == [name])
        #expect(!(try Self.plan(scenario)).backups.map(\.backup.name).contains(name))
        #expect(try Self.unauthenticated(scenario) == [storage.describe(folder + "unkeep.00000002")])

        try marks.keep(name, now: RetentionScenario.now)
        try marks.unkeep(name, now: RetentionScenario.now)
        #expect(try marks.list().isEmpty)
        try marks.keep(name, now: RetentionScenario.now)
        let plan = try Self.plan(scenario)
        #expect(plan.classification.classes(of: name) == [.permanent])
        #expect(Set(plan.superseded.map(\.key)).isSuperset(of: [1, 2, 3, 4].map { folder + ($0 == 2 || $0 == 4 ? "unkeep" : "keep") + ".0000000\($0)" }))
    }
}
