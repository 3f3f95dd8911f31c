import PITRSupport

/// A write-ahead log position: a byte address in the endless WAL stream, shared by all timelines.
public struct LSN: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ value: UInt64) { self.rawValue = value }
    public init(high: UInt32, low: UInt32) { self.rawValue = UInt64(high) << 32 | UInt64(low) }

    public static let zero = LSN(0)

    /// Parses PostgreSQL's `X/Y` text form: 1 to 8 hex digits on each side of the slash,
    /// either case (pg_lsn input accepts both). Leading/trailing spaces are refused.
    public init(parsing text: some StringProtocol) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let high = Hex.parse32(Substring(parts[0]), uppercaseOnly: false),
              let low = Hex.parse32(Substring(parts[1]), uppercaseOnly: false)
        else { throw WALError.invalidLSN(String(text)) }
        self.init(high: high, low: low)
    }

    public var high: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    public var low: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// `X/Y` in uppercase hex without padding, exactly as PostgreSQL 13 to 17 print
    /// pg_lsn values and history-file switchpoints (`%X/%X`), so users can compare them.
    public var description: String { Hex.format(high, width: 0) + "/" + Hex.format(low, width: 0) }

    public static func < (a: LSN, b: LSN) -> Bool { a.rawValue < b.rawValue }
}
