import PITRSupport

/// A PostgreSQL timeline: 1 for a fresh cluster, incremented at each promotion or
/// point-in-time recovery that ends with a new history.
public struct TimelineID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ value: UInt32) { self.rawValue = value }

    /// Parses the 8 uppercase hex digits PostgreSQL uses in file names; 0 is not a timeline.
    public init(parsingHex text: Substring) throws {
        guard text.count == 8, let value = Hex.parse32(text, uppercaseOnly: true), value != 0 else {
            throw WALError.invalidTimeline(String(text))
        }
        self.rawValue = value
    }

    /// The 8 uppercase hex digits that begin every WAL file name of this timeline.
    public var hex: String { Hex.format(rawValue, width: 8) }

    /// Decimal, as PostgreSQL prints timelines in messages and history files.
    public var description: String { String(rawValue) }

    public func next() -> TimelineID { TimelineID(rawValue &+ 1) }

    public static func < (a: TimelineID, b: TimelineID) -> Bool { a.rawValue < b.rawValue }
}
