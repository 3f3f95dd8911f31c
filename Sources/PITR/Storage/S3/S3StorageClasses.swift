import PITRSupport

/// The S3 storage class of each kind of object (docs/s3.md, "Storage classes"): a backup is written in the daily class
/// and moves, as it ages into a longer retention class, to that class's storage class by a tag (`tagKey`) that a bucket
/// lifecycle rule turns into a transition; WAL is written in the WAL class, and what only monthly or yearly backups
/// need moves with them. Nil names the bucket's default (STANDARD), for which no header is sent.
public struct S3StorageClasses: Sendable, Equatable {
    /// A retention class a backup can move into by a tag, longest last.
    public enum Tier: String, CaseIterable, Sendable, Comparable {
        case daily, weekly, monthly, yearly

        public static func < (a: Tier, b: Tier) -> Bool { (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0) }
    }

    /// The object tag naming an object's tier; lifecycle rules filter on it.
    public static let tagKey = "tailtown-class"

    /// The lifecycle waterfall, warmest first: S3 transitions objects only down this list.
    public static let waterfall = ["STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]
    /// Classes whose objects must be restored (thawed) before they can be read.
    public static let archive: Set<String> = ["GLACIER", "DEEP_ARCHIVE"]

    public var daily: String?
    public var weekly: String?
    public var monthly: String?
    public var yearly: String?
    public var wal: String?
    /// Everything else (repository metadata, records, dumps).
    public var other: String?

    public init(daily: String? = nil, weekly: String? = nil, monthly: String? = nil, yearly: String? = nil, wal: String? = nil,
                other: String? = nil) {
        (self.daily, self.weekly, self.monthly, self.yearly, self.wal, self.other) = (daily, weekly, monthly, yearly, wal, other)
    }

    /// The least-cost choice on AWS under S3's minimums with the default retention (docs/s3.md): a daily backup kept a
    /// week stays STANDARD, weekly ones move to STANDARD_IA when 30 days old if kept long enough to pay, monthly ones to
    /// GLACIER_IR (read without a thaw), yearly ones to DEEP_ARCHIVE.
    public static let leastCost = S3StorageClasses(weekly: "STANDARD_IA", monthly: "GLACIER_IR", yearly: "DEEP_ARCHIVE")

    /// The class of a tier; nil for STANDARD.
    public func name(of tier: Tier) -> String? {
        switch tier {
        case .daily: daily
        case .weekly: weekly
        case .monthly: monthly
        case .yearly: yearly
        }
    }

    /// STANDARD for the bucket's default.
    public static func effective(_ name: String?) -> String { name ?? "STANDARD" }

    /// The position of a class in the waterfall; nil for a class S3 lifecycle does not transition to.
    public static func rank(_ name: String?) -> Int? { waterfall.firstIndex(of: effective(name)) }

    /// Whether an object in `current` moves to `target` by a transition (only ever down the waterfall).
    public static func isColder(_ target: String?, than current: String?) -> Bool {
        guard let to = rank(target), let from = rank(current) else { return false }
        return to > from
    }

    /// The youngest age in days a transition to `name` may take effect at (S3 refuses STANDARD_IA and ONEZONE_IA rules under 30).
    public static func minimumAge(_ name: String) -> Int { ["STANDARD_IA", "ONEZONE_IA"].contains(name) ? 30 : 0 }

    /// The days an object in `name` is billed at least (deleted or moved sooner, the rest is charged).
    public static func minimumDays(_ name: String) -> Int {
        switch name {
        case "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING": 30
        case "GLACIER_IR", "GLACIER": 90
        case "DEEP_ARCHIVE": 180
        default: 0
        }
    }

    /// The bytes an object in `name` is billed at least (STANDARD_IA, ONEZONE_IA and GLACIER_IR: 128 KiB).
    public static func minimumBytes(_ name: String) -> Int { ["STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"].contains(name) ? 128 << 10 : 0 }

    /// Objects no larger than this are not transitioned (S3's default since 2024, and what the 128 KiB minimum and the
    /// archive classes' 40 KiB per object make worth it).
    public static let smallestTransitioned = 128 << 10

    /// The class a new object under `key` (repository-relative) is written in: backups in the daily class, WAL in the WAL class.
    func forNewObject(_ key: String) -> String? {
        if key.hasPrefix("wal/") { return wal }
        if key.hasPrefix("backups/") { return daily }
        return other
    }

    /// The lifecycle transition of each longer tier whose class is colder than STANDARD (what objects tagged so move to).
    public var transitions: [(tier: Tier, storageClass: String, days: Int)] {
        Tier.allCases.dropFirst().compactMap { tier in
            guard let name = name(of: tier), Self.isColder(name, than: nil) else { return nil }
            return (tier, name, Self.minimumAge(name))
        }
    }
}
