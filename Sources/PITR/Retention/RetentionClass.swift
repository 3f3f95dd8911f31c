import PITRSupport

/// Why a backup is kept: a grandfather-father-son class, a permanent mark, being the newest, or being needed
/// by a kept incremental backup.
public enum RetentionClass: String, CaseIterable, Comparable, Sendable {
    case daily, weekly, monthly, yearly
    /// Marked with `backup-mark --keep`.
    case permanent
    /// The newest backup is never deleted, whatever the policy says.
    case newest
    /// On the chain of a kept incremental backup, which cannot be restored without it.
    case parent

    /// The classes a policy counts periods for, in `TAILTOWN_RETAIN` order.
    public static let periodic: [RetentionClass] = [.daily, .weekly, .monthly, .yearly]

    /// The index of the period holding `time`, in UTC: consecutive periods have consecutive indexes.
    /// Days since the epoch; ISO 8601 weeks (Monday to Sunday) since the epoch's week; months; years.
    /// Nil for the classes that are not periodic.
    public func period(of time: UTCTime) -> Int64? {
        let days = Self.floorDivide(time.secondsSinceEpoch, 86_400)
        switch self {
        case .daily:
            return days
        case .weekly:
            // 1970-01-01 was a Thursday: the ISO week holding it began three days earlier.
            return Self.floorDivide(days + 3, 7)
        case .monthly, .yearly:
            var seconds = time_t(time.secondsSinceEpoch)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let year = Int64(parts.tm_year) + 1900
            return self == .yearly ? year : year * 12 + Int64(parts.tm_mon)
        case .permanent, .newest, .parent:
            return nil
        }
    }

    /// The first moment of the period with index `period` (the inverse of `period(of:)`); nil for the classes that are not periodic.
    public func start(ofPeriod period: Int64) -> UTCTime? {
        switch self {
        case .daily:
            return UTCTime(secondsSinceEpoch: period * 86_400)
        case .weekly:
            return UTCTime(secondsSinceEpoch: (period * 7 - 3) * 86_400)
        case .monthly, .yearly:
            var parts = tm()
            parts.tm_year = Int32(clamping: (self == .yearly ? period : Self.floorDivide(period, 12)) - 1900)
            parts.tm_mon = self == .yearly ? 0 : Int32(period - Self.floorDivide(period, 12) * 12)
            parts.tm_mday = 1
            return UTCTime(secondsSinceEpoch: Int64(timegm(&parts)))
        case .permanent, .newest, .parent:
            return nil
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    public static func < (a: RetentionClass, b: RetentionClass) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }
}
