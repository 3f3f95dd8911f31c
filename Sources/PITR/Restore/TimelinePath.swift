import PITRRepository
import PITRWAL

/// The line of timelines that leads to one target timeline, and which timeline's copy of each
/// WAL segment recovery reads on the way.
///
/// PostgreSQL (XLogFileReadAnyTLI) reads segment N from the newest timeline on the line whose
/// first segment is at or before N: the segment that holds a switchpoint is read from the NEW
/// timeline, since the old one may have archived that segment only as `.partial`.
public struct TimelinePath: Sendable {
    /// One timeline of the line and the first LSN written on it (zero for the first).
    struct Leg: Sendable {
        let timeline: TimelineID
        let begin: LSN
    }

    let legs: [Leg]
    let segmentSize: WALSegmentSize

    init(ancestors: [TimelineHistory.Entry], target: TimelineID, segmentSize: WALSegmentSize) {
        var legs: [Leg] = []
        var begin = LSN.zero
        for entry in ancestors {
            legs.append(Leg(timeline: entry.parent, begin: begin))
            begin = entry.switchpoint
        }
        legs.append(Leg(timeline: target, begin: begin))
        self.legs = legs
        self.segmentSize = segmentSize
    }

    public var target: TimelineID { legs[legs.count - 1].timeline }

    /// Every timeline of the line, oldest first.
    public var timelines: [TimelineID] { legs.map(\.timeline) }

    /// The timeline that wrote `lsn` on this line.
    public func timeline(at lsn: LSN) -> TimelineID {
        legs.last { $0.begin <= lsn }?.timeline ?? target
    }

    /// The copy of segment `number` recovery reads.
    public func segment(_ number: UInt64) -> WALSegmentName {
        let leg = legs.last { $0.begin.rawValue / segmentSize.bytes <= number } ?? legs[0]
        return WALSegmentName(timeline: leg.timeline, number: number, segmentSize: segmentSize)
    }

    /// The segments recovery reads to replay `start..<end`, in order.
    public func segments(from start: LSN, upTo end: LSN) -> [WALSegmentName] {
        guard start < end else { return [] }
        return (segmentNumber(start)...segmentNumber(LSN(end.rawValue - 1))).map(segment)
    }

    /// The stretches of `start..<end`, one per timeline crossed, switching at the switchpoints.
    public func stretches(from start: LSN, upTo end: LSN) -> [RestorePlan.Stretch] {
        legs.indices.compactMap { index in
            let legEnd = index + 1 < legs.count ? legs[index + 1].begin : LSN(UInt64.max)
            let from = max(start, legs[index].begin), to = min(end, legEnd)
            return from < to ? RestorePlan.Stretch(timeline: legs[index].timeline, start: from, end: to) : nil
        }
    }

    /// The highest segment number whose copy (as recovery would read it) the archive holds; nil when none.
    public func lastArchivedSegment(in index: ArchiveIndex) -> UInt64? {
        var last: UInt64?
        for (position, leg) in legs.enumerated() {
            let first = segmentNumber(leg.begin)
            let next = position + 1 < legs.count ? segmentNumber(legs[position + 1].begin) : UInt64.max
            for segment in index.segments(on: leg.timeline) {
                let number = segment.number(segmentSize)
                if number >= first, number < next { last = max(last ?? number, number) }
            }
        }
        return last
    }

    public func segmentNumber(_ lsn: LSN) -> UInt64 { lsn.rawValue / segmentSize.bytes }

    public func startLSN(ofSegment number: UInt64) -> LSN { LSN(number &* segmentSize.bytes) }
}
