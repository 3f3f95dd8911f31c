import PITRRetention
import PITRStorage
import PITRSupport

/// `status`'s monthly cost estimate of an S3 repository (docs/operations.md, "The monthly bill"): what it keeps, in the
/// storage class each object is in or is tagged to move to, and what a month of archiving, backing up and drilling
/// asks of S3, at the prices of a `PriceTable`.
///
/// - storage: per class and tier, each object billed at least the class's minimum size (128 KiB in STANDARD_IA,
///   ONEZONE_IA and GLACIER_IR), the archive classes' 40 KiB an object (32 at their price, 8 at STANDARD's), and, when
///   the policy keeps the tier fewer days than the class's minimum duration, that minimum: storage × minimum / kept days
///   (the dumps by their own policy);
/// - requests: WAL PUTs at the archive rate, one backup a day like the newest (a PUT per object, or per part and two
///   more when multipart), its objects larger than 128 KiB tagged and transitioned into each colder tier they reach
///   (weekly 730/24/7 a month, monthly 1, yearly 1/12), and a drill's GETs;
/// - retrieval: one restore drill a month (the installed timer) reading the newest backup with its chain and a day of WAL,
///   in the bucket's region (no transfer charge);
/// - tags: one an object that is or will be in a colder class than the daily one, at $0.01 per 10,000 a month;
/// - KMS: $1 a month per customer managed key that wraps the key file (TAILTOWN_KMS_KEY_ID and _SECOND_KEY_ID); its
///   requests, one per process that finds the unwrapped key in no cache, are left out (cents at most).
public struct MonthlyBill: Sendable {
    /// What a month asks of S3, measured on the repository.
    public struct Activity: Sendable {
        public let segmentsPerHour: Double
        /// The stored sizes of one backup's objects (the newest).
        public let backupObjects: [Int]
        /// What a drill reads: the newest backup's chain and a day of WAL, in the daily and WAL classes.
        public let drillBackupObjects: [Int]
        public let drillWALObjects: [Int]
        /// The AWS KMS keys that wrap the key file.
        public var kmsKeys = 0

        public init(segmentsPerHour: Double, backupObjects: [Int], drillBackupObjects: [Int], drillWALObjects: [Int]) {
            (self.segmentsPerHour, self.backupObjects, self.drillBackupObjects, self.drillWALObjects)
                = (segmentsPerHour, backupObjects, drillBackupObjects, drillWALObjects)
        }
    }

    public struct Stored: Sendable {
        public let storageClass: String
        public let tier: S3StorageClasses.Tier
        public let objects: Int
        public let bytes: Int
        public let dollars: Double
    }

    public struct Requests: Sendable {
        public let kind: String
        public let perMonth: Double
        public let dollars: Double
    }

    public static let hoursPerMonth = 730.0
    /// S3's price of object tags, per 10,000 a month, and AWS KMS's of a customer managed key a month (us-east-1 list prices).
    public static let tagsPrice = 0.01, kmsKeyPrice = 1.0
    static let gigabyte = Double(1 << 30)

    /// Oldest tier first, then by class.
    public let storage: [Stored]
    public let requests: [Requests]
    public let retrievedBytes: Int
    public let retrievalDollars: Double
    /// Objects tagged to move to a colder class (one tag each) and what storing the tags costs.
    public let tags: Int
    public let tagDollars: Double
    public let kmsDollars: Double
    public let assumptions: String
    public var total: Double {
        storage.reduce(0) { $0 + $1.dollars } + requests.reduce(0) { $0 + $1.dollars } + retrievalDollars + tagDollars + kmsDollars
    }

    /// `placements`: the backups' and WAL's, kept by `policy`; `dumps`: the dumps' objects, kept by `dumpPolicy`
    /// (TAILTOWN_RETAIN_DUMPS), whose periods say how long each tier keeps them against the classes' minimum durations.
    public init(placements: [StoragePlacement.Placement], policy: RetentionPolicy, dumps: [StoragePlacement.Placement], dumpPolicy: RetentionPolicy,
                classes: S3StorageClasses, prices: PriceTable, activity: Activity) {
        func keptDays(_ tier: S3StorageClasses.Tier, by policy: RetentionPolicy = policy) -> Double {
            let count = Double(policy.counts[RetentionClass(rawValue: tier.rawValue) ?? .daily] ?? 0)
            switch tier {
            case .daily: return count
            case .weekly: return 7 * count
            case .monthly: return 30 * count
            case .yearly: return 365 * count
            }
        }
        var groups: [String: (storageClass: String, tier: S3StorageClasses.Tier, objects: Int, bytes: Int, dollars: Double)] = [:]
        for (placement, keptBy) in placements.map({ ($0, policy) }) + dumps.map({ ($0, dumpPolicy) }) {
            let name = placement.storageClass
            let archived = S3StorageClasses.archive.contains(name)
            let billed = Double(max(placement.object.size, S3StorageClasses.minimumBytes(name)) + (archived ? 32 << 10 : 0))
            let kept = keptDays(placement.tier, by: keptBy)
            let duration = kept > 0 ? max(1, Double(S3StorageClasses.minimumDays(name)) / kept) : 1
            let dollars = (billed * prices.price(.storage, name) + (archived ? Double(8 << 10) * prices.price(.storage, "STANDARD") : 0))
                / Self.gigabyte * duration
            let key = "\(placement.tier.rawValue) \(name)"
            let group = groups[key] ?? (name, placement.tier, 0, 0, 0)
            groups[key] = (name, placement.tier, group.objects + 1, group.bytes + placement.object.size, group.dollars + dollars)
        }
        tags = (placements + dumps).filter { $0.tier != .daily && S3StorageClasses.isColder($0.storageClass, than: S3StorageClasses.effective(classes.daily)) }.count
        tagDollars = Double(tags) / 10_000 * Self.tagsPrice
        kmsDollars = Double(activity.kmsKeys) * Self.kmsKeyPrice
        storage = groups.values.sorted { ($0.tier, $0.storageClass) < ($1.tier, $1.storageClass) }
            .map { Stored(storageClass: $0.storageClass, tier: $0.tier, objects: $0.objects, bytes: $0.bytes, dollars: $0.dollars) }

        let daily = S3StorageClasses.effective(classes.daily), wal = S3StorageClasses.effective(classes.wal)
        let days = Self.hoursPerMonth / 24
        func parts(_ size: Int, _ partSize: Int) -> Int { size <= partSize ? 1 : (size + partSize - 1) / partSize + 2 }
        var requests: [Requests] = []
        func add(_ kind: String, _ perMonth: Double, _ price: Double) {
            if perMonth > 0 { requests.append(Requests(kind: kind, perMonth: perMonth, dollars: perMonth * price / 1000)) }
        }
        add("WAL PUT", activity.segmentsPerHour * Self.hoursPerMonth, prices.price(.put, wal))
        add("backup PUT", days * Double(activity.backupObjects.reduce(0) { $0 + parts($1, S3Configuration.defaultPartSize) }), prices.price(.put, daily))
        let moving = Double(activity.backupObjects.filter { $0 > S3StorageClasses.smallestTransitioned }.count)
        let entering: [S3StorageClasses.Tier: Double] = [.weekly: days / 7, .monthly: 1, .yearly: 1.0 / 12]
        for transition in classes.transitions where S3StorageClasses.isColder(transition.storageClass, than: classes.daily) {
            let kept = keptDays(transition.tier)
            guard kept - Double(transition.days) >= Double(S3StorageClasses.minimumDays(transition.storageClass)) else { continue }
            let count = moving * (entering[transition.tier] ?? 0)
            add("tag and transition to \(transition.storageClass)", count,
                prices.price(.put, transition.storageClass) + prices.price(.put, "STANDARD"))
        }
        let ranges = activity.drillBackupObjects.reduce(0) { $0 + max(1, ($1 + S3Configuration.defaultReadSize - 1) / S3Configuration.defaultReadSize) }
        add("drill GET", Double(ranges), prices.price(.get, daily))
        add("drill WAL GET", Double(activity.drillWALObjects.count), prices.price(.get, wal))
        self.requests = requests
        let backupBytes = activity.drillBackupObjects.reduce(0, +), walBytes = activity.drillWALObjects.reduce(0, +)
        retrievedBytes = backupBytes + walBytes
        retrievalDollars = (Double(backupBytes) * prices.price(.retrieve, daily) + Double(walBytes) * prices.price(.retrieve, wal)) / Self.gigabyte
        assumptions = "list prices of AWS us-east-1 unless TAILTOWN_S3_PRICES says otherwise, a 730-hour month, "
            + "\(String(format1: activity.segmentsPerHour)) WAL segments/h, a backup a day like the newest (\(activity.backupObjects.count) objects, "
            + "\(String(byteCount: activity.backupObjects.reduce(0, +)))), a restore drill a month reading \(String(byteCount: retrievedBytes)), "
            + "minimums of 30/90/180 days, 128 KiB an object, archive classes +40 KiB, \(tags) tags, \(activity.kmsKeys) KMS keys (not their requests), "
            + "drills in the bucket's region (from outside AWS add $0.09/GB beyond 100 GB a month)"
    }
}

extension MonthlyBill {
    /// "$12.34 a month: storage $10.00 (daily STANDARD 10.0 GiB $0.23, ...), requests $2.00 (WAL PUT 43800 $0.22, ...), drill retrieval $0.34".
    public var summary: String {
        func dollars(_ value: Double) -> String { "$" + String(format2: value) }
        let stored = storage.map { "\($0.tier.rawValue) \($0.storageClass) \(String(byteCount: $0.bytes)) \(dollars($0.dollars))" }
        let asked = requests.map { "\($0.kind) \(Int($0.perMonth.rounded())) \(dollars($0.dollars))" }
        return "\(dollars(total)) a month: storage \(dollars(storage.reduce(0) { $0 + $1.dollars })) (\(stored.joined(separator: ", "))), "
            + "requests \(dollars(requests.reduce(0) { $0 + $1.dollars })) (\(asked.joined(separator: ", "))), drill retrieval \(dollars(retrievalDollars))"
            + (tags > 0 ? ", tags \(dollars(tagDollars))" : "") + (kmsDollars > 0 ? ", KMS keys \(dollars(kmsDollars))" : "")
    }
}
