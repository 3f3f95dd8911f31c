import PITRSupport

/// Why a backup is kept: a grandfather-father-son class, a permanent mark, or being the newest.
public enum RetentionClass: String, CaseIterable, Comparable, Sendable {
    case daily, weekly, monthly, yearly
    /// Marked with `backup-mark --keep`.
    case permanent
    /// The newest backup is never deleted, whatever the policy says.
    case newest

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
        case .permanent, .newest:
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
