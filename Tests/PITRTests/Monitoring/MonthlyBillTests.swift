import Foundation
import Testing
@testable import PITRBackup
@testable import PITRMonitoring
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL
@testable import PITRConfig
@testable import PITRDump
@testable import PITRPipeline
import TestSupport

/// `status`'s monthly bill: for a fixed synthetic repository in moto, the figure equals one computed here by hand from
/// the list prices, minimum sizes and durations included; and the 100 GB example of docs/operations.md.
@Suite("monthly bill in status", .serialized)
struct MonthlyBillTests {
    static let gigabyte = Double(1 << 30)

    @Test func statusEstimateEqualsTheHandComputedFigure() throws {
        let bucket = MotoServer.uniqueBucket("bill")
        try MotoServer.createBucket(bucket)
        var configuration = try S3TestRepository.configuration(bucket: bucket, prefix: "pg")
        configuration.storageClasses = S3StorageClasses(daily: "STANDARD_IA", weekly: "STANDARD_IA", monthly: "GLACIER_IR", yearly: "DEEP_ARCHIVE")
        let storage = try S3Storage(configuration: configuration, log: Log(level: .error))
        let repo = try SyntheticRepository(storage: storage)
        let now = UTCTime.now()
        try repo.addSegments(1...3)
        try repo.addBackup(stoppedAt: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 90_000).iso8601, start: 1)
        let newest = try repo.addBackup(stoppedAt: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 3_600).iso8601, start: 3)
        let status = try RepositoryStatus(inventory: RepositoryInventory.load(repository: repo.repository), policy: RetentionPolicy(counts: [.daily: 7]), now: now,
                                          kmsKeys: 1)
        let bill = try #require(status.bill)

        // Both backups (a day apart) anchor the window (daily): their 6 objects, all smaller than 128 KiB, are in STANDARD_IA, billed
        // 128 KiB each and, kept 7 days, 30 days each. The WAL (3 segments, 2 .backup files) is in STANDARD, as it is.
        let backupObjects = try storage.listObjects(prefix: "backups/")
        #expect(backupObjects.count == 6 && backupObjects.allSatisfy { $0.storageClass == "STANDARD_IA" && $0.size < 128 << 10 })
        let wal = try storage.listObjects(prefix: "wal/").filter { (try? WALFileName(parsing: String($0.key.split(separator: "/").last ?? ""))) != nil }
        #expect(wal.count == 5 && wal.allSatisfy { $0.storageClass == "STANDARD" })
        let segments = wal.filter { !$0.key.hasSuffix(".backup") }
        let newestObjects = try storage.listObjects(prefix: "backups/\(newest.name)/")
        let storageCost = 6 * 131_072 / Self.gigabyte * 0.0125 * (30.0 / 7) + Double(wal.reduce(0) { $0 + $1.size }) / Self.gigabyte * 0.023
        let requestCost = 3.0 / 24 * 730 * 0.005 / 1000       // WAL PUTs at the last day's rate, STANDARD
            + 3 * (730.0 / 24) * 0.01 / 1000                  // a backup a day like the newest: 3 PUTs in STANDARD_IA
            + 3 * 0.001 / 1000 + 3 * 0.0004 / 1000            // a drill's GETs: the newest backup, a day of WAL
        let retrievalCost = Double(newestObjects.reduce(0) { $0 + $1.size }) / Self.gigabyte * 0.01  // STANDARD_IA; STANDARD is free
        let kmsCost = 1.0                                     // one KMS key wrapping the key file, $1 a month
        // No tags: nothing is kept in a longer class than daily.
        let expected = storageCost + requestCost + retrievalCost + kmsCost
        #expect(bill.tags == 0)
        print("monthly bill of the synthetic repository: \(bill.summary); by hand $\(expected)")
        #expect(abs(bill.total - expected) < 1e-12, "\(bill.total) != \(expected)")
        #expect(bill.retrievedBytes == newestObjects.reduce(0) { $0 + $1.size } + segments.reduce(0) { $0 + $1.size })
        #expect(StatusText.render(status).contains("monthly bill      $1.00 a month: storage $0.00 (daily STANDARD "))
        #expect(StatusText.render(status).contains("bill assumes      list prices of AWS us-east-1"))
        #expect(StatusJSON.render(status).contains("\"monthly_bill\":{\"usd\":1.00,\"storage\":[{\"storage_class\":\"STANDARD\",\"retention\":\"daily\""))
        #expect(StatusHTML.render(status).contains("<th>Monthly bill</th>"))
        // A file:// repository has no bill.
        let local = try SyntheticRepository()
        #expect(try RepositoryStatus(inventory: RepositoryInventory.load(repository: local.repository), policy: .standard, now: now).bill == nil)
    }

    /// The dumps' objects are billed the storage class's minimum duration by the dumps' own policy (TAILTOWN_RETAIN_DUMPS),
    /// not the backups': kept 7 days in STANDARD_IA, a dump costs 30/7 of its month even where backups kept 30 days cost one.
    @Test func dumpsAreBilledTheMinimumDurationByTheirOwnPolicy() throws {
        let bucket = MotoServer.uniqueBucket("billdumps")
        try MotoServer.createBucket(bucket)
        var configuration = try S3TestRepository.configuration(bucket: bucket, prefix: "pg")
        configuration.storageClasses = S3StorageClasses(daily: "STANDARD_IA", other: "STANDARD_IA")
        let storage = try S3Storage(configuration: configuration, log: Log(level: .error))
        let repo = try SyntheticRepository(storage: storage)
        let now = UTCTime.now()
        try repo.addSegments(1...1)
        try repo.addBackup(stoppedAt: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 3_600).iso8601, start: 1)
        let stop = UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 1_800)
        let pieces = ["shop.0000", "shop.0001"]
        let dump = DumpDescriptor(name: stop.compact, database: "shop", startTime: stop, stopTime: stop, serverVersion: 150_014,
                                  tool: "pg_dump (PostgreSQL) 15.14", compression: .none, cipher: "none", keyID: "",
                                  sha256: String(repeating: "ab", count: 32),
                                  objects: pieces.map { .init(name: $0, archive: "shop", rawBytes: 3, storedBytes: 3) })
        for piece in pieces { try repo.putObject(DumpDescriptor.objectKey(run: stop.compact, object: piece), [1, 2, 3]) }
        try DumpCatalog(repository: repo.repository).store(dump, options: ObjectOptions(compression: .none, key: nil))
        let status = try RepositoryStatus(inventory: RepositoryInventory.load(repository: repo.repository), policy: RetentionPolicy(counts: [.daily: 30]),
                                          now: now, dumpPolicy: RetentionPolicy(counts: [.daily: 7]))
        let bill = try #require(status.bill)

        // The backup's 3 objects and the dump's 3 (two pieces, the descriptor), all under 128 KiB in STANDARD_IA: billed 128 KiB
        // each; the backup's kept 30 days (the minimum: one month), the dump's 7 (the minimum: 30/7 of a month). The WAL
        // (a segment, the .backup file) stays in STANDARD, as it is.
        let backupObjects = try storage.listObjects(prefix: "backups/"), dumpObjects = try storage.listObjects(prefix: "dumps/")
        #expect(backupObjects.count == 3 && backupObjects.allSatisfy { $0.storageClass == "STANDARD_IA" && $0.size < 128 << 10 }, "\(backupObjects)")
        #expect(dumpObjects.count == 3 && dumpObjects.allSatisfy { $0.storageClass == "STANDARD_IA" && $0.size < 128 << 10 }, "\(dumpObjects)")
        let wal = try storage.listObjects(prefix: "wal/").filter { (try? WALFileName(parsing: String($0.key.split(separator: "/").last ?? ""))) != nil }
        #expect(wal.count == 2 && wal.allSatisfy { $0.storageClass == "STANDARD" })
        let expected = 3 * 131_072 / Self.gigabyte * 0.0125 * 1 + 3 * 131_072 / Self.gigabyte * 0.0125 * (30.0 / 7)
            + Double(wal.reduce(0) { $0 + $1.size }) / Self.gigabyte * 0.023
        let stored = bill.storage.reduce(0) { $0 + $1.dollars }
        print("storage of a dump kept 7 days beside backups kept 30: \(bill.summary); by hand $\(expected)")
        #expect(abs(stored - expected) < 1e-12, "\(stored) != \(expected)")
    }

    /// docs/operations.md's example: a 100 GB database, each backup stored as 40 GiB (a weekly full, compressed) plus
    /// 6 daily incrementals of 2 GiB (so a kept backup's chain is 52 GiB at most), 2 GiB of WAL a day in 16 MiB segments
    /// of 8 MiB stored, the default retention: every kept tier's chains priced by the same estimator as status.
    @Test func theHundredGigabyteExample() throws {
        func objects(_ count: Int, _ size: Int) -> [StoredObject] { (0..<count).map { StoredObject(key: "o\($0)", size: size) } }
        let gib = 1 << 30
        let chain = objects(1, 40 * gib) + objects(6, 2 * gib)
        let walDay = objects(256, 8 << 20)
        let activity = MonthlyBill.Activity(segmentsPerHour: 256.0 / 24, backupObjects: [2 * gib], drillBackupObjects: chain.map(\.size),
                                            drillWALObjects: walDay.map(\.size))
        func bill(_ classes: S3StorageClasses) -> MonthlyBill {
            func placed(_ objects: [StoredObject], _ tier: S3StorageClasses.Tier, _ storageClass: String?) -> [StoragePlacement.Placement] {
                objects.map { StoragePlacement.Placement(object: $0, tier: tier, storageClass: S3StorageClasses.effective(storageClass), moves: false) }
            }
            // The window: this week's chain and 8 days of WAL; 3 more weekly, 11 monthly, 6 yearly chains, each with the
            // WAL from its start to its stop (one segment).
            var placements = placed(chain, .daily, classes.daily) + placed((0..<8).flatMap { _ in walDay }, .daily, classes.wal)
            placements += placed((0..<3).flatMap { _ in chain + objects(1, 8 << 20) }, .weekly, classes.weekly == "STANDARD_IA" ? classes.daily : classes.weekly)
            placements += placed((0..<11).flatMap { _ in chain + objects(1, 8 << 20) }, .monthly, classes.monthly)
            placements += placed((0..<6).flatMap { _ in chain + objects(1, 8 << 20) }, .yearly, classes.yearly)
            return MonthlyBill(placements: placements, policy: .standard, dumps: [], dumpPolicy: .standard, classes: classes, prices: .list,
                               activity: activity)
        }
        let leastCost = bill(.leastCost)
        let plan = bill(S3StorageClasses(daily: "STANDARD_IA", weekly: "STANDARD_IA", monthly: "GLACIER", yearly: "DEEP_ARCHIVE", wal: "STANDARD_IA"))
        let standard = bill(S3StorageClasses())
        print("100 GB example, least-cost defaults: \(leastCost.summary)")
        print("100 GB example, the plan's preset: \(plan.summary)")
        print("100 GB example, all STANDARD: \(standard.summary)")
        // A tag on each object of the 11 monthly and 6 yearly chains (7 backups and a WAL segment each); weekly ones stay
        // in the daily class.
        #expect(leastCost.tags == 11 * 8 + 6 * 8 && leastCost.tagDollars == Double(136) / 10_000 * 0.01)
        #expect(leastCost.total < plan.total)
        #expect(plan.total < standard.total)
    }

    /// TAILTOWN_S3_PRICES overrides single prices of the list; a malformed word is refused naming the setting.
    @Test func pricesFromTheConfiguration() throws {
        func table(_ text: String) throws -> PriceTable {
            try Settings.load(flags: [:], environment: ["TAILTOWN_S3_PRICES": text], defaultFile: "/nonexistent/tailtown-pitr.conf").priceTable()
        }
        let prices = try table("storage.standard=0.025, put.GLACIER_IR=0.03")
        #expect(prices.price(.storage, "STANDARD") == 0.025)
        #expect(prices.price(.put, "GLACIER_IR") == 0.03)
        #expect(prices.price(.storage, "GLACIER_IR") == 0.004)
        #expect(prices.price(.storage, "EXPRESS_ONEZONE") == 0.025)  // unknown classes are priced as STANDARD
        for bad in ["storage=0.02", "store.STANDARD=1", "get.STANDARD=-1", "retrieve.GLACIER=cheap"] {
            let error = #expect(throws: ConfigError.self, "\(bad)") { _ = try table(bad) }
            #expect(error?.description.hasPrefix("TAILTOWN_S3_PRICES") == true, "\(String(describing: error))")
        }
    }

    /// The KMS keys the bill counts are those the settings wrap the key file with.
    @Test func kmsKeysFromTheConfiguration() throws {
        func count(_ environment: [String: String]) throws -> Int {
            try Settings.load(flags: [:], environment: environment, defaultFile: "/nonexistent/tailtown-pitr.conf").kmsKeyCount
        }
        #expect(try count([:]) == 0)
        #expect(try count(["TAILTOWN_KMS_KEY_ID": "alias/tailtown"]) == 1)
        #expect(try count(["TAILTOWN_KMS_KEY_ID": "alias/tailtown", "TAILTOWN_KMS_SECOND_KEY_ID": "alias/tailtown-dr"]) == 2)
    }
}
