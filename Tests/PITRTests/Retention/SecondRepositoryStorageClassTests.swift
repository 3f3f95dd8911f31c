import Foundation
import Testing
@testable import PITRBackup
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// TAILTOWN_REPO2 with storage classes, against moto: a backup written through `MirroredStorage` lands in both S3
/// repositories, and `delete` (the plan carried out on the first through `ConfirmedRemovalStorage`, on the second
/// directly) tags it in each for its colder class.
@Suite struct SecondRepositoryStorageClassTests {
    @Test func tagsArePlacedInTheFirstThroughItsWrapperAndInTheSecond() throws {
        let bucket = MotoServer.uniqueBucket("repo2classes")
        try MotoServer.createBucket(bucket)
        let classes = S3StorageClasses(monthly: "GLACIER_IR")
        let storages = try ["pg", "pg2"].map { prefix in
            var configuration = try S3TestRepository.configuration(bucket: bucket, prefix: prefix)
            configuration.storageClasses = classes
            return try S3Storage(configuration: configuration, log: Log(level: .error))
        }
        let mirrored = MirroredStorage(first: storages[0], second: storages[1], log: Log(level: .error))
        #expect(mirrored.storageClasses == classes)
        #expect(FallbackStorage(first: storages[0], second: storages[1], log: Log(level: .error)).storageClasses == classes)

        let repo = try SyntheticRepository(storage: mirrored)
        let now = UTCTime.now()
        try repo.addSegments(1...3)
        let monthly = try repo.addBackup(stoppedAt: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 40 * 86_400).iso8601, start: 1, padding: 200 << 10)
        try repo.addBackup(stoppedAt: SyntheticRepository.anHourAgoThisMonth(now), start: 3)
        #expect(mirrored.secondFailures.isEmpty)
        // Everything but the first's own probe of conditional writes (Repository's set-up asks the first alone).
        let listings = try storages.map { Set(try $0.list(prefix: "").filter { !$0.hasPrefix("probes/") }) }
        #expect(listings[0] == listings[1], "\(listings[0].symmetricDifference(listings[1]).sorted())")
        let piece = BackupDescriptor.objectKey(backup: monthly.name, object: "base.tar.0000")

        let guarded = ConfirmedRemovalStorage(storages[0]) { _ in true }
        for (storage, prefix) in [(guarded as Storage, "pg"), (storages[1], "pg2")] {
            let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: Repository(storage: storage, key: nil)))
                .plan(policy: RetentionPolicy(counts: [.monthly: 12]), now: now)
            #expect(plan.placement?.moves.map(\.object.key) == [piece], "\(prefix)")
            #expect(try plan.execute(on: storage, log: Log(level: .error)).tagged == 1, "\(prefix)")
            #expect(try MotoLifecycle.tags(bucket: bucket, key: prefix + "/" + piece) == [S3StorageClasses.tagKey: "monthly"], "\(prefix)")
        }
        #expect(try MotoLifecycle.rules(bucket: bucket).map(\.storageClass) == ["GLACIER_IR", "GLACIER_IR"])
    }
}
