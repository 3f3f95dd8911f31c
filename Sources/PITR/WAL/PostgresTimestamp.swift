import PITRSupport

/// PostgreSQL's `TimestampTz`: microseconds since 2000-01-01 00:00:00 UTC, the clock of
/// commit records, restore points and `recovery_target_time`.
public struct PostgresTimestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Seconds between the Unix epoch and PostgreSQL's epoch (2000-01-01).
    static let epochOffset: Int64 = 946_684_800

    public let rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(microsecondsSince2000: Int64) { self.rawValue = microsecondsSince2000 }
    public init(unixSeconds: Int64, microseconds: Int64 = 0) {
        rawValue = (unixSeconds - Self.epochOffset) * 1_000_000 + microseconds
    }

    public static func now() -> PostgresTimestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return PostgresTimestamp(unixSeconds: Int64(now.tv_sec), microseconds: Int64(now.tv_nsec) / 1000)
    }

    /// Whole seconds since the Unix epoch (rounded down).
    public var unixSeconds: Int64 {
        let micros = rawValue + Self.epochOffset * 1_000_000
        return micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    }
    public var microsecondOfSecond: Int64 { rawValue - (unixSeconds - Self.epochOffset) * 1_000_000 }
    public var utcTime: UTCTime { UTCTime(secondsSinceEpoch: unixSeconds) }

    /// "2026-11-26 14:03:27.123456+00": PostgreSQL's own output in UTC, accepted back by
    /// `recovery_target_time` whatever the server's TimeZone.
    public var description: String {
        var seconds = time_t(unixSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%d %H:%M:%S", &parts)
        var text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let micros = microsecondOfSecond
        if micros != 0 {
            var fraction = String(micros)
            fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "+00"
    }

    /// Parses RFC 3339 / ISO 8601 (`2026-11-26T14:03:27.123Z`, `...+01:00`) and PostgreSQL's
    /// output format (`2026-11-26 14:03:27.123+00`, `+05:30`, `-0800`). A time without a zone is
    /// refused: the same wall-clock time names different moments in different zones, and a
    /// restore to the wrong hour is worse than a question.
    public init(parsing text: String) throws {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) throws -> Int64 {
            guard index + digits <= bytes.count else { throw WALError.invalidTimestamp(text, reason: "it ends too early") }
            var value: Int64 = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { throw WALError.invalidTimestamp(text, reason: "expected a digit at position \(index + 1)") }
                value = value * 10 + Int64(byte - 0x30)
                index += 1
            }
            return value
        }
        func expect(_ characters: String) throws {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else {
                throw WALError.invalidTimestamp(text, reason: "expected '\(characters.first.map(String.init) ?? "")' at position \(index + 1)")
            }
            index += 1
        }
        let year = try number(4); try expect("-")
        let month = try number(2); try expect("-")
        let day = try number(2); try expect("T t")
        let hour = try number(2); try expect(":")
        let minute = try number(2); try expect(":")
        let second = try number(2)
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw WALError.invalidTimestamp(text, reason: "no digits after the decimal point") }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        guard index < bytes.count else {
            throw WALError.invalidTimestamp(text, reason: "it has no time zone; add Z or an offset such as +00 or +01:00, since the same wall-clock time names different moments in different zones")
        }
        var offsetSeconds: Int64 = 0
        if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            index += 1
        } else {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            try expect("+-")
            let hours = try number(2)
            var minutes: Int64 = 0
            if index < bytes.count {
                if bytes[index] == UInt8(ascii: ":") { index += 1 }
                minutes = try number(2)
            }
            guard hours <= 15, minutes < 60 else { throw WALError.invalidTimestamp(text, reason: "the zone offset is out of range") }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        guard index == bytes.count else {
            throw WALError.invalidTimestamp(text, reason: "unexpected text after the time zone at position \(index + 1)")
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            throw WALError.invalidTimestamp(text, reason: "a field is out of range")
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let local = Int64(timegm(&parts))
        guard parts.tm_mday == Int32(day) else { throw WALError.invalidTimestamp(text, reason: "day \(day) does not exist in that month") }
        self.init(unixSeconds: local - offsetSeconds, microseconds: micros)
    }

    public static func < (a: PostgresTimestamp, b: PostgresTimestamp) -> Bool { a.rawValue < b.rawValue }
}
