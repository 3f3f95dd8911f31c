import PITRSupport

/// The 24-hex-digit name of a WAL segment: timeline, then the segment number split into
/// a high part (which 4 GiB "xlogid") and a low part (which segment inside it).
///
/// The split depends on the cluster's segment size, so the name is stored as its three
/// printed parts; `number(_:)` and `init(timeline:number:segmentSize:)` convert with a size.
public struct WALSegmentName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let timeline: TimelineID
    /// First 8 hex digits after the timeline: segment number / segments per xlogid.
    public let high: UInt32
    /// Last 8 hex digits: segment number % segments per xlogid.
    public let low: UInt32

    public init(timeline: TimelineID, high: UInt32, low: UInt32) {
        self.timeline = timeline
        self.high = high
        self.low = low
    }

    /// The segment `number` of `timeline` for a cluster whose segments are `segmentSize`.
    public init(timeline: TimelineID, number: UInt64, segmentSize: WALSegmentSize) {
        self.timeline = timeline
        self.high = UInt32(truncatingIfNeeded: number / segmentSize.segmentsPerXLogID)
        self.low = UInt32(truncatingIfNeeded: number % segmentSize.segmentsPerXLogID)
    }

    /// Parses 24 uppercase hex digits without knowing the segment size; the low part
    /// is not range-checked (see `init(parsing:segmentSize:)`).
    public init(parsing text: some StringProtocol) throws {
        let name = String(text)
        let utf8 = Array(name.utf8)
        guard utf8.count == 24 else { throw WALError.invalidSegmentName(name, reason: "it is not 24 hex digits") }
        let timelinePart = Substring(name.prefix(8))
        guard let high = Hex.parse32(Substring(name.dropFirst(8).prefix(8)), uppercaseOnly: true),
              let low = Hex.parse32(Substring(name.dropFirst(16)), uppercaseOnly: true),
              Hex.parse32(timelinePart, uppercaseOnly: true) != nil
        else { throw WALError.invalidSegmentName(name, reason: "it is not 24 uppercase hex digits") }
        guard let timeline = try? TimelineID(parsingHex: timelinePart) else {
            throw WALError.invalidSegmentName(name, reason: "timeline 0 does not exist")
        }
        self.init(timeline: timeline, high: high, low: low)
    }

    /// Parses and checks that the low part exists for `segmentSize`
    /// (with 64 MiB segments, for example, it never exceeds 0x3F).
    public init(parsing text: some StringProtocol, segmentSize: WALSegmentSize) throws {
        try self.init(parsing: text)
        guard UInt64(low) < segmentSize.segmentsPerXLogID else {
            throw WALError.segmentNameOutOfRange(description, segmentSize: segmentSize)
        }
    }

    /// The segment holding `lsn` on `timeline`.
    public static func segment(containing lsn: LSN, timeline: TimelineID, segmentSize: WALSegmentSize) -> WALSegmentName {
        WALSegmentName(timeline: timeline, number: lsn.rawValue / segmentSize.bytes, segmentSize: segmentSize)
    }

    /// The segment number (XLogSegNo): the segment's start LSN divided by the segment size.
    public func number(_ segmentSize: WALSegmentSize) -> UInt64 {
        UInt64(high) * segmentSize.segmentsPerXLogID + UInt64(low)
    }

    /// The LSN of the segment's first byte, which its first page header records as xlp_pageaddr.
    public func startLSN(_ segmentSize: WALSegmentSize) -> LSN {
        LSN(number(segmentSize) &* segmentSize.bytes)
    }

    /// The following segment on the same timeline, carrying into the high part at the xlogid boundary.
    public func next(_ segmentSize: WALSegmentSize) -> WALSegmentName {
        WALSegmentName(timeline: timeline, number: number(segmentSize) + 1, segmentSize: segmentSize)
    }

    /// The 24-digit file name.
    public var fileName: String { folderName + Hex.format(low, width: 8) }

    /// The first 16 digits (timeline and high part): the repository folder that holds this
    /// segment, so one folder holds at most one xlogid's worth of segments.
    public var folderName: String { timeline.hex + Hex.format(high, width: 8) }

    public var description: String { fileName }

    /// File-name order, which is WAL order within a timeline.
    public static func < (a: WALSegmentName, b: WALSegmentName) -> Bool {
        (a.timeline, a.high, a.low) < (b.timeline, b.high, b.low)
    }
}
