/// A moment in whole seconds since the Unix epoch, shown in UTC.
public struct UTCTime: Comparable, Hashable, Sendable {
    public let secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    public static func now() -> UTCTime { UTCTime(secondsSinceEpoch: Int64(time(nil))) }

    /// "2026-11-27T01:02:03Z"
    public var iso8601: String { format("%Y-%m-%dT%H:%M:%SZ") }
    /// "20261127T010203Z", for names.
    public var compact: String { format("%Y%m%dT%H%M%SZ") }
    /// As backup_manifest writes Last-Modified: "2026-11-27 01:02:03 GMT".
    package var manifestText: String { format("%Y-%m-%d %H:%M:%S GMT") }

    /// Parses the `iso8601` form.
    public init?(iso8601 text: String) {
        let digits = text.filter { $0.isNumber }
        guard text.count == 20, text.hasSuffix("Z"), digits.count == 14 else { return nil }
        let d = Array(digits)
        func n(_ from: Int, _ count: Int) -> Int32 { Int32(String(d[from..<from + count])) ?? 0 }
        var parts = tm()
        parts.tm_year = n(0, 4) - 1900
        parts.tm_mon = n(4, 2) - 1
        parts.tm_mday = n(6, 2)
        parts.tm_hour = n(8, 2)
        parts.tm_min = n(10, 2)
        parts.tm_sec = n(12, 2)
        secondsSinceEpoch = Int64(timegm(&parts))
    }

    /// Parses an HTTP date (RFC 7231's IMF-fixdate), "Tue, 08 Dec 2026 18:31:06 GMT", as S3's x-amz-restore gives one.
    public init?(httpDate text: String) {
        let fields = text.split(separator: " ")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard fields.count == 6, fields[5] == "GMT", let month = months.firstIndex(of: String(fields[2])),
              let day = Int32(fields[1]), let year = Int32(fields[3]) else { return nil }
        let clock = fields[4].split(separator: ":").compactMap { Int32($0) }
        guard clock.count == 3 else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = Int32(month)
        parts.tm_mday = day
        parts.tm_hour = clock[0]
        parts.tm_min = clock[1]
        parts.tm_sec = clock[2]
        secondsSinceEpoch = Int64(timegm(&parts))
    }

    private func format(_ pattern: String) -> String {
        var seconds = time_t(secondsSinceEpoch)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func < (a: UTCTime, b: UTCTime) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }
}
