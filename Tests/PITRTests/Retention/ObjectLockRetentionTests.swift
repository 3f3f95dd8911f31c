import Foundation
import Testing
@testable import PITRBackup
@testable import PITRDump
@testable import PITRMonitoring
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL
import TestSupport

/// `delete` in a repository with S3 Object Lock, against moto's: it removes by version id only (no delete marker is
/// ever added), leaves whole what a lock still holds and says so, removes it once the lock ended, and extends the
/// locks of what it keeps. Locks last 10 seconds here, so that they end within the test.
@Suite("delete with S3 Object Lock", .serialized)
struct ObjectLockRetentionTests {
    let storage: S3Storage
    let repo: SyntheticRepository

    init() throws {
        (storage, repo) = try SyntheticRepository.locked("lockdelete", margin: 10, horizon: 0)
    }

    /// The versions and delete markers of the objects in the repository's `folders`, by object key.
    func versions(_ folders: [String]) throws -> [String: [S3VersionedDeletion.Version]] {
        let deletion = S3VersionedDeletion(storage: storage, lock: try #require(storage.configuration.objectLock))
        return try folders.reduce(into: [:]) { found, folder in found.merge(try deletion.versions(in: "pg/" + folder + "/")) { a, _ in a } }
    }

    @Test func deletesByVersionOnceLocksEndAndExtendsWhatItKeeps() throws {
        try repo.addSegments(1...12)
        let old = try repo.addBackup(stoppedAt: "2026-01-01T00:00:00Z", start: 2, stop: 3)
        let kept = try repo.addBackup(stoppedAt: "2026-01-05T00:00:00Z", start: 8, stop: 9)
        let policy = RetentionPolicy(counts: [.daily: 1])
        sleep(2)  // the locks from the writes now end before what is kept needs
        let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: repo.repository)).plan(policy: policy, now: .now())
        #expect(plan.backups.map(\.backup.name) == [old.name])
        #expect(plan.text.contains("lock    "))
        let before = try repo.keys()

        // Every lock still holds: nothing is removed, and no delete marker is added.
        let held = try plan.execute(on: storage, log: Log(level: .error))
        #expect(held.lockedBackups == [old.name])
        #expect(!held.locked.isEmpty)
        #expect(RetentionPlan.lockedText(held).contains("backup \(old.name): its descriptor is still locked"))
        #expect(try repo.keys() == before)
        let folders = ["backups/" + old.name, "backups/" + kept.name, repo.archive.folder + "/" + repo.segment(1, 1).folderName]
        #expect(try versions(folders).values.allSatisfy { $0.allSatisfy { !$0.isDeleteMarker } })
        // What is kept for ever (the newest backup) was locked a month past the horizon.
        let keptDescriptor = BackupDescriptor.key(of: kept.name)
        let keptLock = try #require(try storage.lockEnd(of: keptDescriptor))
        #expect(keptLock.secondsSinceEpoch > UTCTime.now().secondsSinceEpoch + 29 * 86_400)

        // Once the locks have ended, the same plan removes every version, and still adds no delete marker.
        sleep(11)
        let done = try plan.execute(on: storage, log: Log(level: .error))
        #expect(done.locked.isEmpty, "\(done.locked)")
        let left = try repo.keys()
        #expect(!left.contains { $0.hasPrefix("backups/\(old.name)/") })
        #expect(left.contains(keptDescriptor))
        let versions = try versions(folders)
        #expect(!versions.keys.contains { $0.contains(old.name) })
        #expect(versions.values.allSatisfy { $0.allSatisfy { !$0.isDeleteMarker } })
        #expect(!left.contains(repo.walKey(.segment(repo.segment(1, 2)))))
        #expect(!versions.keys.contains("pg/" + repo.walKey(.segment(repo.segment(1, 2)))))
        #expect(left.contains(repo.walKey(.segment(repo.segment(1, 8)))))
    }

    @Test func aDeleteMarkerOnAKeyBeingDeletedGoesWithIt() throws {
        let key = "backups/leftover/piece"
        try repo.putObject(key, Array("leftover".utf8))
        try storage.client.send(try S3Client.Operation(method: "DELETE", key: storage.configuration.objectKey(key), accepting: [404]))
        #expect(try versions(["backups/leftover"])["pg/" + key]?.count == 2)  // the object and its delete marker
        #expect(try storage.remove(keys: [key]).map(\.key) == [key])  // still locked: left whole
        let refused = #expect(throws: S3Error.self) { try storage.remove(key) }  // one object: an error naming it
        #expect(refused?.description.contains("\(storage.describe(key)) cannot be removed yet: S3 Object Lock holds it until") == true)
        #expect(try versions(["backups/leftover"])["pg/" + key]?.count == 2)
        sleep(11)
        #expect(try storage.remove(keys: [key]).isEmpty)
        #expect(try versions(["backups/leftover"])["pg/" + key] == nil)
    }

    /// `verify` proves the locks: what a kept backup needs and is no longer locked is reported until `delete` extends
    /// it, and an object hidden by a delete marker is named.
    @Test func verifyReportsShortLocksAndDeleteMarkers() throws {
        try repo.addSegments(1...4)
        let kept = try repo.addBackup(stoppedAt: "2026-01-05T00:00:00Z", start: 2, stop: 3)
        let policy = RetentionPolicy(counts: [.daily: 1])
        func problems() throws -> [VerifyProblem] {
            try RepositoryVerifier(inventory: RepositoryInventory.load(repository: repo.repository), policy: policy, now: .now(), deep: false).run().problems
        }
        #expect(try problems().isEmpty)
        sleep(11)  // every lock from the writes has ended
        let short = try problems().filter { $0.kind == "lock_too_short" }
        #expect(short.contains { $0.subject == storage.describe(BackupDescriptor.key(of: kept.name)) })
        #expect(short.contains { $0.subject == storage.describe(repo.walKey(.segment(repo.segment(1, 3)))) })
        #expect(short.contains { $0.subject == storage.describe("tailtown-pitr.repo") })
        try RetentionPlanner(inventory: RepositoryInventory.load(repository: repo.repository)).plan(policy: policy, now: .now())
            .execute(on: storage, log: Log(level: .error))
        #expect(try problems().isEmpty)

        let hidden = repo.walKey(.segment(repo.segment(1, 4)))
        _ = try storage.client.send(try S3Client.Operation(method: "DELETE", key: storage.configuration.objectKey(hidden), accepting: [404]))
        #expect(try problems().contains { $0.kind == "hidden_by_delete_marker" && $0.subject == storage.describe(hidden) })
    }

    /// Nothing is rewritten: a permanent mark is undone by a newer one (no locked object is removed or replaced), and the
    /// superseded marks go once their locks end; their locks are not extended meanwhile.
    @Test func unkeepInALockedRepositoryAndSupersededMarksGo() throws {
        try repo.addSegments(1...4)
        let older = try repo.addBackup(stoppedAt: "2026-01-01T00:00:00Z", start: 1, stop: 2)
        _ = try repo.addBackup(stoppedAt: "2026-01-05T00:00:00Z", start: 3, stop: 4)
        let marks = PermanentMarks(repository: repo.repository)
        try marks.keep(older.name, now: .now())
        try marks.unkeep(older.name, now: .now())
        try marks.keep(older.name, now: .now())
        #expect(try marks.list() == [older.name])
        let folder = BackupDescriptor.objectKey(backup: older.name, object: "")
        let policy = RetentionPolicy(counts: [.daily: 1])
        let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: repo.repository)).plan(policy: policy, now: .now())
        #expect(plan.backups.isEmpty)
        #expect(plan.superseded.map(\.key).sorted() == [folder + "keep.00000001", folder + "unkeep.00000002"])
        let inventory = try RepositoryInventory.load(repository: repo.repository)
        let locks = LockExtensions(needs: inventory.needs(policy: policy, now: .now()), inventory: inventory, metadata: [],
                                   lock: try #require(storage.objectLock), now: .now(), everything: true)
        #expect(locks.extensions.contains { $0.key == folder + "keep.00000003" })
        #expect(!locks.extensions.contains { $0.key == folder + "keep.00000001" || $0.key == folder + "unkeep.00000002" })
        let held = try plan.execute(on: storage, log: Log(level: .error))
        #expect(Set(held.locked.map(\.key)) == Set(plan.superseded.map(\.key)))
        sleep(11)
        #expect(try plan.execute(on: storage, log: Log(level: .error)).locked.isEmpty)
        #expect(try repo.keys().filter { $0.hasPrefix(folder) && $0.contains("keep") } == [folder + "keep.00000003"])
        #expect(try marks.list() == [older.name])
        #expect(try versions(["backups/" + older.name]).values.allSatisfy { $0.allSatisfy { !$0.isDeleteMarker } })
    }

    /// `archive.info` sealed again after key rotations: the superseded records are not extended but left whole while
    /// locked, and removed by version id once their locks end; the first `archive.info` and the newest stay, locked on.
    @Test func supersededArchiveInfoRecordsGoOnceTheirLocksEnd() throws {
        let keys = (1...3).map { MasterKey(bytes: Array(repeating: UInt8($0), count: 32))! }
        let (storage, repo) = try SyntheticRepository.locked("lockinfo", margin: 10, horizon: 0, key: keys[0])
        let rotated = try repo.rotate(through: Array(keys.dropFirst()))
        let info = repo.archive.infoKey
        let superseded = info + ".sealed.00000001"
        let metadata = try rotated.metadataObjects(archives: [repo.identity]).map(\.key)
        #expect(metadata.contains(info) && metadata.contains(info + ".sealed.00000002") && !metadata.contains(superseded), "\(metadata)")
        sleep(2)  // the locks from the writes now end before what is needed for ever needs
        let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: rotated))
            .plan(policy: RetentionPolicy(counts: [.daily: 1]), now: .now())
        #expect(plan.superseded.map(\.key) == [superseded])
        let held = try plan.execute(on: storage, log: Log(level: .error))
        #expect(held.locked.map(\.key) == [superseded])
        #expect(RetentionPlan.lockedText(held).contains("1 objects are still locked"))
        sleep(11)
        #expect(try plan.execute(on: storage, log: Log(level: .error)).locked.isEmpty)
        #expect(try storage.list(prefix: info) == [info, info + ".sealed.00000002"])
        let deletion = S3VersionedDeletion(storage: storage, lock: try #require(storage.objectLock))
        let versions = try deletion.versions(in: "pg/" + repo.archive.folder + "/", deep: true)
        #expect(versions["pg/" + superseded] == nil && versions.values.allSatisfy { $0.allSatisfy { !$0.isDeleteMarker } })
        for key in [info, info + ".sealed.00000002"] {
            #expect(try #require(try storage.lockEnd(of: key)).secondsSinceEpoch > UTCTime.now().secondsSinceEpoch + 29 * 86_400, "\(key)")
        }
        let newest = Repository(storage: storage, key: keys[2])
        #expect(try WALArchive(repository: newest, identity: repo.identity).checkedSegmentSize() == repo.segmentSize)
    }

    /// `delete` removes the noncurrent versions whose locks have ended (a replaced object's earlier version, a delete
    /// marker a newer version covers), never a current version, and leaves whole a key a delete marker hides.
    @Test func noncurrentVersionsGoOnceTheirLocksEnd() throws {
        try repo.addSegments(1...2)
        _ = try repo.addBackup(stoppedAt: "2026-01-05T00:00:00Z", start: 1, stop: 2)
        let replaced = "verify.window.test"
        for text in ["first", "second"] { try storage.replace(replaced, Array(text.utf8)) }
        let covered = "drills/covered"
        try repo.putObject(covered, Array("covered".utf8))
        _ = try storage.client.send(try S3Client.Operation(method: "DELETE", key: storage.configuration.objectKey(covered), accepting: [404]))
        try repo.putObject(covered, Array("covered again".utf8))
        let hidden = repo.walKey(.segment(repo.segment(1, 2)))
        _ = try storage.client.send(try S3Client.Operation(method: "DELETE", key: storage.configuration.objectKey(hidden), accepting: [404]))
        func count(_ key: String) throws -> Int {
            let deletion = S3VersionedDeletion(storage: storage, lock: try #require(storage.objectLock))
            return try deletion.versions(in: "pg/", deep: true)["pg/" + key]?.count ?? 0
        }
        #expect(try count(replaced) == 2 && count(covered) == 3 && count(hidden) == 2)
        let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: repo.repository))
            .plan(policy: RetentionPolicy(counts: [.daily: 1]), now: .now())
        #expect(plan.text.contains("delete  the noncurrent versions"))

        // Still locked: only the delete marker a newer version covers goes.
        let held = try plan.execute(on: storage, log: Log(level: .error))
        #expect(held.removedVersions == 1)
        #expect(Set(held.locked.map(\.key)) == [replaced, covered])
        #expect(held.locked.allSatisfy { $0.until != nil })
        #expect(try count(replaced) == 2 && count(covered) == 2 && count(hidden) == 2)

        sleep(11)
        let done = try plan.execute(on: storage, log: Log(level: .error))
        #expect(done.removedVersions == 2, "\(done.locked)")
        #expect(try count(replaced) == 1 && count(covered) == 1 && count(hidden) == 2)
        #expect(try storage.readSmallObject(replaced) == Array("second".utf8))
    }

    /// Moving a backup into a longer class (here permanent, by backup-mark --keep) makes the next `delete` extend
    /// (PutObjectRetention) the locks of its pieces, its chain's parent's, its WAL from start to stop, its .backup file
    /// and every .history file: read back with HEAD.
    @Test func aLongerClassExtendsTheLocksOfAllItNeeds() throws {
        try repo.addSegments(1...6)
        try repo.addHistory(timeline: 2, ancestors: [(1, 6)])
        let full = try repo.addBackup(stoppedAt: "2026-01-01T00:00:00Z", start: 1, stop: 2)
        let incremental = try repo.addBackup(stoppedAt: "2026-01-03T00:00:00Z", start: 3, stop: 4, parent: full)
        _ = try repo.addBackup(stoppedAt: "2026-01-05T00:00:00Z", start: 5, stop: 6)
        let needed = try repo.keys().filter { $0.hasPrefix("backups/\(incremental.name)/") || $0.hasPrefix("backups/\(full.name)/") }
            + [3, 4].map { repo.walKey(.segment(repo.segment(1, $0))) }
            + [repo.walKey(.backup(repo.segment(1, 3), offset: 0x28)), repo.walKey(.history(TimelineID(2)))]
        #expect(needed.count > 8)
        let soon = UTCTime.now().secondsSinceEpoch + 60
        for key in needed { #expect(try #require(try storage.lockEnd(of: key)).secondsSinceEpoch < soon, "\(key) locked from its write only") }

        try PermanentMarks(repository: repo.repository).keep(incremental.name, now: .now())
        sleep(2)  // the locks from the writes now end before what is kept for ever needs
        let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: repo.repository))
            .plan(policy: RetentionPolicy(counts: [.daily: 1]), now: .now())
        #expect(plan.backups.isEmpty)
        #expect(try plan.execute(on: storage, log: Log(level: .error)).extendedLocks >= needed.count)
        let month = UTCTime.now().secondsSinceEpoch + 29 * 86_400
        for key in needed { #expect(try #require(try storage.lockEnd(of: key)).secondsSinceEpoch > month, "\(key) locked as long as it is kept") }
    }

    /// A kept dump run's objects are locked as long as the dump policy keeps it, by `delete`, and `check` alarms while
    /// their locks from the write fall short.
    @Test func keptDumpsAreLockedAsLongAsTheyAreKeptAndCheckAlarmsBefore() throws {
        let (dump, objects) = try storeDump(stoppedAt: .now())
        let policy = RetentionPolicy(counts: [.daily: 1])
        sleep(2)  // the locks from the writes now end before the kept run (the newest, kept for ever) needs

        let inventory = try RepositoryInventory.load(repository: repo.repository)
        let alarms = try LockAlarms.problems(inventory: inventory, policy: policy, dumpPolicy: policy, now: .now())
        #expect(alarms.contains { $0.contains(storage.describe(dump.key)) && $0.contains("run delete") }, "\(alarms)")

        let plan = try DumpDeletionPlan.make(repository: repo.repository, policy: policy, now: .now(), excluding: [])
        #expect(plan.runs.isEmpty && !plan.isEmpty)
        #expect(plan.text.contains("lock    3 objects of kept dumps"), "\(plan.text)")
        #expect(try plan.execute(on: storage, log: Log(level: .error)).extendedLocks == 3)
        let month = UTCTime.now().secondsSinceEpoch + 29 * 86_400
        for key in objects { #expect(try #require(try storage.lockEnd(of: key)).secondsSinceEpoch > month, "\(key) locked as long as it is kept") }
        let after = try LockAlarms.problems(inventory: inventory, policy: policy, dumpPolicy: policy, now: .now())
        #expect(!after.contains { $0.contains("dumps/") }, "\(after)")
    }

    /// `verify` proves the dumps' locks too: the objects of a kept run (yesterday's, kept as a daily until a date to come)
    /// locked only from their write are each reported, in text and JSON, until `delete` extends them to the run's expiry.
    @Test func verifyReportsAKeptDumpLockedTooShortly() throws {
        let now = UTCTime.now()
        let (older, objects) = try storeDump(stoppedAt: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 86_400))
        _ = try storeDump(stoppedAt: now)
        let policy = RetentionPolicy(counts: [.daily: 2])
        let until = try #require(DumpRetention(runs: try DumpCatalog(repository: repo.repository).list(), policy: policy, now: now).until(older.name))
        guard case .at(let expiry) = until else { Issue.record("the older run is kept until a date: \(until)"); return }
        func report() throws -> VerifyReport {
            var verifier = RepositoryVerifier(inventory: try RepositoryInventory.load(repository: repo.repository), policy: RetentionPolicy(counts: [.daily: 1]),
                                              now: .now(), deep: false)
            verifier.dumpPolicy = policy
            return verifier.run()
        }
        // (Only the older run's: the repository's metadata and the newer run, kept for ever, are locked 10 seconds from
        // their write here, which a slow run may outlast.)
        let short = try report()
        let olderProblems = short.problems.filter { $0.subject.contains("/dumps/\(older.name)/") }
        #expect(Set(olderProblems.map(\.subject)) == Set(objects.map(storage.describe)), "\(short.problems)")
        #expect(olderProblems.allSatisfy { $0.kind == "lock_too_short" })
        let descriptor = storage.describe(older.key)
        #expect(short.text.contains("problem: \(descriptor) is locked only until "), "\(short.text)")
        #expect(short.text.contains("but it is needed until \(expiry.iso8601): run 'tailtown-pitr delete --confirm'"), "\(short.text)")
        #expect(short.json.contains("{\"kind\":\"lock_too_short\",\"subject\":\"\(descriptor)\""), "\(short.json)")

        let plan = try DumpDeletionPlan.make(repository: repo.repository, policy: policy, now: .now(), excluding: [])
        // Every object of the older run is extended; the newer run's too once a second passed since their write.
        let extensions = plan.locks?.extensions ?? []
        #expect(Set(extensions.filter { $0.key.contains("/\(older.name)/") }.map(\.key)) == Set(objects), "\(extensions.map(\.key))")
        #expect(try plan.execute(on: storage, log: Log(level: .error)).extendedLocks == extensions.count)
        let after = try report().problems
        #expect(!after.contains { $0.subject.contains("/dumps/") }, "\(after)")
    }

    /// A dump run of the database "shop" stopped at `stop`, two pieces and its descriptor, stored (and locked) now.
    private func storeDump(stoppedAt stop: UTCTime) throws -> (dump: DumpDescriptor, objects: [String]) {
        let run = stop.compact
        let pieces = ["shop.0000", "shop.0001"]
        let dump = DumpDescriptor(name: run, database: "shop", startTime: stop, stopTime: stop, serverVersion: 150_014, tool: "pg_dump (PostgreSQL) 15.14",
                                  compression: .none, cipher: "none", keyID: "", sha256: String(repeating: "ab", count: 32),
                                  objects: pieces.map { .init(name: $0, archive: "shop", rawBytes: 3, storedBytes: 3) })
        for piece in pieces { try repo.putObject(DumpDescriptor.objectKey(run: run, object: piece), [1, 2, 3]) }
        try DumpCatalog(repository: repo.repository).store(dump, options: ObjectOptions(compression: .none, key: nil))
        return (dump, pieces.map { DumpDescriptor.objectKey(run: run, object: $0) } + [dump.key])
    }
}
