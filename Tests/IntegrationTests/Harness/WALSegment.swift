@testable import PITRSupport

/// A WAL segment file name (`TTTTTTTTLLLLLLLLSSSSSSSS`) and the arithmetic to step through an archive in order.
struct WALSegment: Hashable, Comparable, CustomStringConvertible {
    let timeline: UInt32
    let log: UInt32
    let segment: UInt32
    /// Segments per 4 GiB "log" depend on the cluster's segment size (`initdb --wal-segsize`).
    let segmentsPerLog: UInt32

    init?(_ name: some StringProtocol, segmentSizeMB: Int) {
        guard name.count == 24, segmentSizeMB > 0,
              let t = UInt32(name.prefix(8), radix: 16),
              let l = UInt32(name.dropFirst(8).prefix(8), radix: 16),
              let s = UInt32(name.dropFirst(16), radix: 16) else { return nil }
        self.init(timeline: t, log: l, segment: s, segmentsPerLog: UInt32((1 << 32) / (segmentSizeMB << 20)))
    }

    init(timeline: UInt32, log: UInt32, segment: UInt32, segmentsPerLog: UInt32) {
        self.timeline = timeline
        self.log = log
        self.segment = segment
        self.segmentsPerLog = segmentsPerLog
    }

    var name: String { hex(timeline) + hex(log) + hex(segment) }
    var description: String { name }

    /// The segment after this one on the same timeline.
    var next: WALSegment {
        segment + 1 == segmentsPerLog
            ? WALSegment(timeline: timeline, log: log + 1, segment: 0, segmentsPerLog: segmentsPerLog)
            : WALSegment(timeline: timeline, log: log, segment: segment + 1, segmentsPerLog: segmentsPerLog)
    }

    /// Every segment from `self` to `last`, both included.
    func through(_ last: WALSegment) -> [WALSegment] {
        var all: [WALSegment] = []
        var current = self
        while current <= last {
            all.append(current)
            current = current.next
        }
        return all
    }

    static func < (a: WALSegment, b: WALSegment) -> Bool {
        (a.timeline, a.log, a.segment) < (b.timeline, b.log, b.segment)
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
