import Foundation
import Testing
@testable import PITRMonitoring
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// `check` with S3 Object Lock, against moto's: a needed lock that ends before its need, or within the margin from now,
/// is an alarm naming the object and the date, until `delete` extends it. New objects are locked for 20 + 10 seconds.
@Suite("check with S3 Object Lock", .serialized)
struct LockAlarmsTests {
    let storage: S3Storage
    let repo: SyntheticRepository

    init() throws {
        (storage, repo) = try SyntheticRepository.locked("lockcheck", margin: 10, horizon: 20)
    }

    func iso(daysAgo days: Int64, from now: UTCTime) -> String {
        UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - days * 86_400).iso8601
    }

    @Test func alarmsWhenANeededLockEndsBeforeItsNeedOrWithinTheMargin() throws {
        let now = UTCTime.now()
        try repo.addSegments(1...6)
        let older = try repo.addBackup(stoppedAt: iso(daysAgo: 1, from: now), start: 2, stop: 3)
        _ = try repo.addBackup(stoppedAt: iso(daysAgo: 0, from: now), start: 5, stop: 6)
        let policy = RetentionPolicy(counts: [.daily: 2])
        func alarms(at time: UTCTime) throws -> [String] {
            try LockAlarms.problems(inventory: RepositoryInventory.load(repository: repo.repository), policy: policy, dumpPolicy: policy, now: time)
        }

        // The older daily backup is needed for a day or more, its objects locked for 30 seconds from their write.
        let short = try alarms(at: now)
        #expect(short.count == 2, "\(short)")  // the first and the last the older backup needs
        for alarm in short {
            #expect(alarm.hasPrefix("the S3 Object Lock of \(storage.describe(""))") && alarm.contains(", but the object is needed until "))
            #expect(alarm.hasSuffix("run delete, which extends the locks of what is kept"))
        }
        // At most two HEADs per need (the older backup's, and what is kept for ever), not one per object.
        let inventory = try RepositoryInventory.load(repository: repo.repository)
        let all = LockExtensions(needs: inventory.needs(policy: policy, now: now), inventory: inventory,
                                 metadata: try repo.repository.metadataObjects(archives: inventory.archives.map(\.identity)),
                                 lock: try #require(storage.objectLock), now: now, everything: true)
        let later = UTCTime(secondsSinceEpoch: now.secondsSinceEpoch + 25)
        let lock = try #require(storage.objectLock)
        #expect(all.sample(lock: lock, now: now, within: lock.margin).extensions.count == 2)  // the older backup's: written first and last
        #expect(all.sample(lock: lock, now: later, within: lock.margin).extensions.count == 4)
        #expect(all.extensions.count > 10)
        #expect(all.extensions.contains { $0.key.hasPrefix("backups/\(older.name)/") && $0.needed != nil })

        // What is kept for ever is locked 30 seconds from its write too: within the margin 25 seconds from now.
        let soon = try alarms(at: later)
        #expect(soon.count == 4, "\(soon)")
        #expect(soon.contains { $0.contains("needed for as long as anything is kept") && $0.contains(" ends at ") })

        // delete extends every needed lock: no alarm left.
        try RetentionPlanner(inventory: inventory).plan(policy: policy, now: now).execute(on: storage, log: Log(level: .error))
        #expect(try alarms(at: now).isEmpty)
        // 25 seconds on, what was written after the first delete's time (every object here) and is kept for ever is
        // within the margin again, until delete runs at that time.
        let again = try alarms(at: later)
        #expect(!again.isEmpty && again.allSatisfy { $0.contains("needed for as long as anything is kept") }, "\(again)")
        try RetentionPlanner(inventory: inventory).plan(policy: policy, now: later).execute(on: storage, log: Log(level: .error))
        let after = try alarms(at: later)
        #expect(after.isEmpty, "\(after)")
    }

    @Test func noLockNoRequest() throws {
        let plain = try SyntheticRepository()
        try plain.addSegments(1...2)
        _ = try plain.addBackup(stoppedAt: "2026-01-05T00:00:00Z", start: 1)
        #expect(try LockAlarms.problems(inventory: RepositoryInventory.load(repository: plain.repository),
                                        policy: RetentionPolicy(counts: [.daily: 1]), dumpPolicy: RetentionPolicy(counts: [.daily: 1]), now: .now()).isEmpty)
    }
}
