import Foundation
import Testing
@testable import PITRBackup
import PITRNative
@testable import PITRDump
import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL
import TestSupport

/// Storage class by retention class over a synthetic year, against moto: a backup a day (a 200 KiB piece, small
/// manifest and descriptor) and two 200 KiB WAL segments a day, `delete --confirm` every week (its tags and lifecycle
/// rules real requests), then S3's lifecycle run as `MotoLifecycle` does it. After every run each kept backup's piece and
/// start segment are where the policy puts them, the PITR window's objects are never in GLACIER or DEEP_ARCHIVE, and
/// small objects never move.
@Suite("storage classes over a year", .serialized)
struct StorageClassYearTests {
    /// A new moto bucket with the plan's preset for the longer classes, so that the window's protection from archive classes
    /// is exercised.
    static func storage(_ name: String) throws -> (bucket: String, storage: S3Storage) {
        let bucket = MotoServer.uniqueBucket(name)
        try MotoServer.createBucket(bucket)
        var configuration = try S3TestRepository.configuration(bucket: bucket, prefix: "pg")
        configuration.storageClasses = S3StorageClasses(weekly: "STANDARD_IA", monthly: "GLACIER", yearly: "DEEP_ARCHIVE")
        return (bucket, try S3Storage(configuration: configuration, log: Log(level: .error)))
    }

    @Test func transitionsFollowThePolicyAndSpareTheWindow() throws {
        let (bucket, storage) = try Self.storage("classes")
        let repo = try SyntheticRepository(storage: storage)
        let policy = RetentionPolicy.standard

        // Start in the future (listings date objects by the real clock), 180 days before a new year.
        let now = UTCTime.now()
        var parts = tm()
        var seconds = time_t(now.secondsSinceEpoch)
        gmtime_r(&seconds, &parts)
        parts = tm(tm_sec: 0, tm_min: 0, tm_hour: 0, tm_mday: 1, tm_mon: 0, tm_year: parts.tm_year + 2, tm_wday: 0, tm_yday: 0, tm_isdst: 0, tm_gmtoff: 0, tm_zone: nil)
        let start = Int64(timegm(&parts)) - 180 * 86_400
        var written: [String: Date] = [:]
        func date(_ time: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(time)) }
        func iso(_ time: Int64) -> String { UTCTime(secondsSinceEpoch: time).iso8601 }
        var lastPlan: RetentionPlan?
        var moved: [String: Int] = [:]

        for day in 0..<365 {
            let time = start + Int64(day) * 86_400 + 3_600
            let segment = UInt64(2 * day + 2)
            for n in [segment, segment + 1] {
                let name = repo.segment(1, n)
                try repo.putWAL(.segment(name), Array("segment \(name)".utf8) + SecureRandom.bytes(200 << 10))
                written["pg/" + repo.walKey(.segment(name))] = date(time)
            }
            let backup = try repo.addBackup(stoppedAt: iso(time), start: segment, stop: segment, padding: 200 << 10)
            for key in try storage.list(prefix: "backups/\(backup.name)/") { written["pg/" + key] = date(time) }
            guard day % 7 == 6 || day == 364 else { continue }

            let today = UTCTime(secondsSinceEpoch: time + 3_600)
            let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: repo.repository)).plan(policy: policy, now: today)
            try plan.execute(on: storage, log: Log(level: .error))
            for move in try MotoLifecycle.run(bucket: bucket, on: date(today.secondsSinceEpoch), written: { written[$0] }) {
                moved[move.to, default: 0] += 1
            }
            lastPlan = plan
            let classes = Dictionary(try MotoLifecycle.objects(bucket: bucket).map { ($0.key, ($0.storageClass, $0.size)) }) { a, _ in a }
            for kept in plan.needs.kept {
                let decision = kept.decision
                let settled = decision.classes.filter { kind in
                    guard let period = kind.period(of: kept.backup.stopTime), let current = kind.period(of: today) else { return true }
                    return period < current
                }
                let window = decision.anchorsWindow
                let expected = window ? "STANDARD" : settled.contains(.yearly) ? "DEEP_ARCHIVE" : settled.contains(.monthly) ? "GLACIER" : "STANDARD"
                let piece = "pg/" + BackupDescriptor.objectKey(backup: kept.backup.name, object: "base.tar.0000")
                let startSegment = "pg/" + repo.walKey(.segment(repo.segment(1, kept.backup.startLSN.rawValue / repo.segmentSize.bytes)))
                #expect(classes[piece]?.0 == expected, "day \(day): \(kept.backup.name) kept as \(decision.classes), window \(window)")
                #expect(classes[startSegment]?.0 == expected, "day \(day): the start segment of \(kept.backup.name)")
                #expect(classes["pg/" + BackupDescriptor.key(of: kept.backup.name)]?.0 == "STANDARD", "a descriptor is too small to move")
            }
            // What the window needs (its anchors' objects and WAL) is never archived.
            let requirements = plan.needs.kept.filter(\.decision.anchorsWindow)
            for (key, (storageClass, _)) in classes where S3StorageClasses.archive.contains(storageClass) {
                let file = key.split(separator: "/").last.flatMap { try? WALFileName(parsing: String($0)) }
                #expect(!requirements.contains { kept in file.map { kept.wal?.needs($0) == true } ?? key.contains(kept.backup.name) },
                        "day \(day): \(key) is in \(storageClass) but the PITR window needs it")
            }
        }
        // The lifecycle rules delete wrote: one per longer class, STANDARD_IA no younger than 30 days.
        #expect(try MotoLifecycle.rules(bucket: bucket).sorted { $0.storageClass < $1.storageClass }.map { "\($0.tag?.value ?? "") \($0.days) \($0.storageClass)" }
                == ["yearly 0 DEEP_ARCHIVE", "monthly 0 GLACIER", "weekly 30 STANDARD_IA"])
        // Over the year: the monthly backups (and their start segments) went to GLACIER, the year's last to DEEP_ARCHIVE,
        // and weekly ones, kept 4 weeks, never paid for STANDARD_IA's 30 days after their 30th: none moved there.
        let plan = try #require(lastPlan)
        print("storage classes over a year: moved \(moved), tagged on the last run \(plan.placement?.moves.count ?? 0)")
        #expect(moved["GLACIER", default: 0] >= 2 * 10)
        #expect(moved["DEEP_ARCHIVE", default: 0] >= 2)
        #expect(moved["STANDARD_IA", default: 0] == 0)
    }

    /// With Object Lock, moving is a tag on the locked version itself: no new version, the lock held.
    @Test func aLockedObjectMovesByTagWithoutANewVersion() throws {
        let (storage, repo) = try SyntheticRepository.locked("classeslock", margin: 86_400, horizon: 0, classes: S3StorageClasses(monthly: "GLACIER_IR"))
        let now = UTCTime.now()
        try repo.addSegments(1...3)
        let monthly = try repo.addBackup(stoppedAt: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 40 * 86_400).iso8601, start: 1, padding: 200 << 10)
        try repo.addBackup(stoppedAt: SyntheticRepository.anHourAgoThisMonth(now), start: 3)
        let piece = BackupDescriptor.objectKey(backup: monthly.name, object: "base.tar.0000")
        let lock = try storage.lockEnd(of: piece)
        let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: repo.repository))
            .plan(policy: RetentionPolicy(counts: [.monthly: 12]), now: now)
        #expect(plan.placement?.moves.map(\.object.key) == [piece])
        #expect(plan.text.contains("move    1 objects (200."), "\(plan.text)")
        #expect(try plan.execute(on: storage, log: Log(level: .error)).tagged == 1)
        let deletion = S3VersionedDeletion(storage: storage, lock: try #require(storage.configuration.objectLock))
        #expect(try deletion.versions(in: "pg/" + piece)["pg/" + piece]?.count == 1)
        // The same version, still locked (delete extended it to the monthly backup's need).
        #expect(try #require(try storage.lockEnd(of: piece)) >= (try #require(lock)))
        #expect(try MotoLifecycle.tags(bucket: storage.configuration.bucket, key: "pg/" + piece) == [S3StorageClasses.tagKey: "monthly"])
        #expect(try MotoLifecycle.rules(bucket: storage.configuration.bucket).map(\.storageClass) == ["GLACIER_IR"])
    }

    /// Dumps follow their retention class as backups do: `delete` tags the objects of a run kept as monthly or yearly
    /// (its period ended), S3's lifecycle (as `MotoLifecycle` runs it) moves them, and the newest run stays.
    @Test func dumpsMoveByTheirRetentionClass() throws {
        let (bucket, storage) = try Self.storage("dumpclasses")
        // A run on the last day of last year (yearly), one on the 28th two months back (monthly), one an hour before noon
        // today (newest). The policy goes by noon today, not the clock: an hour before the clock, run just after
        // midnight, lies in the day (and the week) that just ended.
        var parts = tm()
        var seconds = time_t(UTCTime.now().secondsSinceEpoch)
        gmtime_r(&seconds, &parts)
        func day(_ year: Int32, _ month: Int32, _ mday: Int32, hour: Int32 = 2) -> UTCTime {
            var when = tm(tm_sec: 0, tm_min: 30, tm_hour: hour, tm_mday: mday, tm_mon: month, tm_year: year, tm_wday: 0, tm_yday: 0, tm_isdst: 0, tm_gmtoff: 0, tm_zone: nil)
            return UTCTime(secondsSinceEpoch: Int64(timegm(&when)))
        }
        let now = day(parts.tm_year, parts.tm_mon, parts.tm_mday, hour: 12)
        let stops = [day(parts.tm_year - 1, 11, 31), day(parts.tm_year, parts.tm_mon - 2, 28), UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 3_600)]
        var runs: [DumpRun] = []
        for stop in stops {
            let dump = DumpDescriptor(name: stop.compact, database: "shop", startTime: stop, stopTime: stop, serverVersion: 150_014, tool: "pg_dump (PostgreSQL) 15.14",
                                      compression: .lz4, cipher: "aes-256-gcm", keyID: "0123456789abcdef", sha256: String(repeating: "ab", count: 32),
                                      objects: [.init(name: "db.shop.0000", archive: "db.shop", rawBytes: 300 << 10, storedBytes: 200 << 10)])
            #expect(try storage.store(DumpDescriptor.objectKey(run: stop.compact, object: "db.shop.0000"), SecureRandom.bytes(200 << 10)) == .stored)
            runs.append(DumpRun(name: stop.compact, dumps: [dump]))
        }
        let retention = DumpRetention(runs: runs, policy: .standard, now: now)
        #expect(retention.decisions.map(\.classes).map { $0.contains(.yearly) || $0.contains(.monthly) || $0.contains(.newest) } == [true, true, true])
        let placement = StoragePlacement(dumps: retention, objects: try storage.listObjects(prefix: "dumps/"), classes: storage.configuration.storageClasses, now: now)
        #expect(placement.moves.map(\.storageClass) == ["DEEP_ARCHIVE", "GLACIER"], "\(placement.moves.map { "\($0.object.key) \($0.tier)" })")
        let (tagged, rewritten) = try placement.execute(on: storage)
        #expect(tagged == 2 && rewritten)
        let moved = try MotoLifecycle.run(bucket: bucket, on: Date(timeIntervalSinceNow: 86_400), written: { _ in Date() })
        #expect(Set(moved.map { "\($0.key) \($0.to)" }) == ["pg/dumps/\(stops[0].compact)/db.shop.0000 DEEP_ARCHIVE", "pg/dumps/\(stops[1].compact)/db.shop.0000 GLACIER"])
        #expect(try MotoLifecycle.tags(bucket: bucket, key: "pg/dumps/\(stops[2].compact)/db.shop.0000").isEmpty, "the newest run stays")
    }
}
