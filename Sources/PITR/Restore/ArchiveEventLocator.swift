import PITRRepository
import PITRSupport
import PITRWAL

/// Answers the planner's `WALEventLocator` questions from a repository's WAL archive, downloading
/// and decoding (`WALRecordScanner`) as few segments as it can; docs/wal-decoding.md.
///
/// - `.time(T)`: recovery stops at the first commit or abort in WAL order whose time is after T
///   (at or after T when exclusive), as PostgreSQL's `recoveryStopsBefore` decides. Commit times are
///   taken just before the record is inserted, so they are almost, not strictly, increasing in WAL
///   order. A binary search on the first transaction time of each segment finds the last segment
///   whose first commit lies more than `slack` before T; under the assumption that no record is
///   inserted more than `slack` after a later one's time was taken, nothing before that segment can
///   stop recovery, and a forward scan from it finds the stop.
/// - `.xid(X)`: the commit or abort of top-level (or prepared) transaction X. Commits of xids from X
///   on can only follow X's assignment, so a binary search for the first segment holding a commit of
///   an xid at or after X (modulo 2^32, like TransactionIdPrecedes) lands at or before X's commit;
///   a forward scan finds it, and should it not (a pathological order), the segments before are scanned too.
/// - `.name(N)`: the first restore point named N, by a forward scan (restore points have no order),
///   downloading the next segment on a second thread while the current one is decoded.
/// - `scan`: one segment's records, for the locks the planner weighs at a stop (`HeldLocks`), which reads the
///   segments from the last checkpoint's redo point before the stop; those the searches above read are not decoded again.
/// `.lsn`, `.latest` and `.immediate` are not placed by WAL records: asking for them is a
/// programming error (`WALRecordError.targetNotLocatable`).
///
/// Not thread-safe: one planner uses one locator.
public final class ArchiveEventLocator: WALEventLocator {
    /// Ten seconds: far more than a backend normally spends between taking its commit time and
    /// inserting the record (microseconds, or a scheduling delay), short enough to cost only the few
    /// segments written in that window.
    public static let defaultSlackMicroseconds: Int64 = 10_000_000

    public let index: ArchiveIndex
    public let majorVersion: Int
    public let slackMicroseconds: Int64
    /// Segments downloaded and decompressed so far (a prefetched one counts when it is used).
    public private(set) var downloads = 0

    private let scanner: WALRecordScanner
    private var scans: [WALSegmentName: (scan: WALScan, next: WALSegmentName?)] = [:]
    /// The last two segments' bytes: the one being scanned and the one a crossing record continues into.
    private var recent: [(segment: WALSegmentName, bytes: [UInt8])] = []
    private var prefetch: SegmentPrefetch?

    /// Decodes WAL as the archive's PostgreSQL major version writes it.
    public init(index: ArchiveIndex, slackMicroseconds: Int64 = ArchiveEventLocator.defaultSlackMicroseconds) {
        let majorVersion = index.archive.identity.majorVersion
        self.index = index
        self.majorVersion = majorVersion
        self.slackMicroseconds = slackMicroseconds
        self.scanner = WALRecordScanner(segmentSize: index.segmentSize, majorVersion: majorVersion)
    }

    public func stopEvent(for target: RecoveryTarget, exclusive: Bool, in segments: [WALSegmentName]) throws -> WALEvent? {
        switch target {
        case .time(let time):
            return try timeStop(time, exclusive: exclusive, in: segments)
        case .xid(let xid):
            return try transactionStop(xid, in: segments)
        case .name(let name):
            return try restorePoint(named: name, in: segments)
        case .lsn:
            throw WALRecordError.targetNotLocatable("recovery_target_lsn")
        case .latest:
            throw WALRecordError.targetNotLocatable("latest")
        case .immediate:
            throw WALRecordError.targetNotLocatable("immediate")
        }
    }

    public func newestEvent(in segments: [WALSegmentName]) throws -> WALEvent? {
        for position in segments.indices.reversed() {
            if let event = try scan(position, of: segments).events.last(where: \.isRecoveryTarget) { return event }
        }
        return nil
    }

    // MARK: Searches

    private func timeStop(_ time: PostgresTimestamp, exclusive: Bool, in segments: [WALSegmentName]) throws -> WALEvent? {
        let threshold = time.rawValue - slackMicroseconds
        var low = -1                // the last segment known to start safely before the threshold
        var high = segments.count   // the search looks no further than this
        while high - low > 1 {
            let middle = (low + high) / 2
            if let found = try firstEvent(from: middle, before: high, in: segments, where: { $0.isTransaction }),
               found.event.time.rawValue < threshold {
                low = found.position
            } else {
                high = middle
            }
        }
        let stops: (WALEvent) -> Bool = { event in
            event.isTransaction && (exclusive ? event.time >= time : event.time > time)
        }
        return try firstEvent(from: max(low, 0), before: segments.count, in: segments, where: stops)?.event
    }

    private func transactionStop(_ xid: UInt32, in segments: [WALSegmentName]) throws -> WALEvent? {
        var low = -1                // the last segment known to hold only commits of xids before X
        var high = segments.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if let found = try firstEvent(from: middle, before: high, in: segments, where: { $0.isTransaction }),
               !(try scan(found.position, of: segments).events.contains { $0.isTransaction && !Self.precedes($0.xid, xid) }) {
                low = found.position
            } else {
                high = middle
            }
        }
        let matches: (WALEvent) -> Bool = { $0.isTransaction && $0.xid == xid }
        let start = low + 1
        if let found = try firstEvent(from: start, before: segments.count, in: segments, where: matches) { return found.event }
        return try firstEvent(from: 0, before: start, in: segments, where: matches)?.event
    }

    private func restorePoint(named name: String, in segments: [WALSegmentName]) throws -> WALEvent? {
        defer { finishPrefetch() }
        for position in segments.indices {
            // This segment first, so that the next one downloads while this one is decoded.
            if scans[segments[position]] == nil { _ = try bytes(of: segments[position]) }
            if position + 1 < segments.count { try startPrefetch(segments[position + 1]) }
            if let event = try scan(position, of: segments).events.first(where: { $0.kind == .restorePoint(name: name) }) {
                return event
            }
        }
        return nil
    }

    /// TransactionIdPrecedes for normal xids: whether `a` comes before `b` modulo 2^32.
    static func precedes(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a &- b) < 0 }

    /// The first event matching `predicate` in segments `start..<end`, scanning forward.
    private func firstEvent(from start: Int, before end: Int, in segments: [WALSegmentName],
                            where predicate: (WALEvent) -> Bool) throws -> (position: Int, event: WALEvent)? {
        var position = start
        while position < end {
            if let event = try scan(position, of: segments).events.first(where: predicate) { return (position, event) }
            position += 1
        }
        return nil
    }

    // MARK: Segments

    /// Kept: a segment is downloaded and decoded once per planner, whichever question reads it.
    public func scan(_ position: Int, of segments: [WALSegmentName]) throws -> WALScan {
        let segment = segments[position]
        let following = position + 1 < segments.count
            && segments[position + 1].number(index.segmentSize) == segment.number(index.segmentSize) + 1
        let nextSegment = following ? segments[position + 1] : nil
        if let cached = scans[segment], cached.next == nextSegment { return cached.scan }
        var continuation = position + 1
        let result = try scanner.scan(segment: segment, bytes: try bytes(of: segment)) {
            // A record longer than a segment asks again for the one after.
            guard following, continuation < segments.count,
                  segments[continuation].number(index.segmentSize) == segment.number(index.segmentSize) + UInt64(continuation - position)
            else { return nil }
            defer { continuation += 1 }
            return try bytes(of: segments[continuation])
        }
        scans[segment] = (result, nextSegment)
        return result
    }

    private func bytes(of segment: WALSegmentName) throws -> [UInt8] {
        if let cached = recent.first(where: { $0.segment == segment }) { return cached.bytes }
        if let pending = prefetch {
            // Never two downloads at once: a prefetch in flight is finished first. Its failure
            // matters only if its segment is the one wanted.
            prefetch = nil
            let fetched = Result { try pending.result() }
            if pending.segment == segment {
                let bytes = try fetched.get()
                downloads += 1
                remember(segment, bytes)
                return bytes
            }
            if case .success(let bytes) = fetched {
                downloads += 1
                remember(pending.segment, bytes)
            }
        }
        let bytes = try index.decode(.segment(segment), limit: Int(index.segmentSize.bytes))
        downloads += 1
        remember(segment, bytes)
        return bytes
    }

    private func remember(_ segment: WALSegmentName, _ bytes: [UInt8]) {
        recent.append((segment, bytes))
        if recent.count > 2 { recent.removeFirst() }
    }

    private func startPrefetch(_ segment: WALSegmentName) throws {
        guard prefetch == nil, scans[segment] == nil, !recent.contains(where: { $0.segment == segment }) else { return }
        prefetch = try SegmentPrefetch(segment: segment, index: index)
    }

    /// Joins an unused prefetch (its download is not counted: nothing used it).
    private func finishPrefetch() {
        if let pending = prefetch { _ = try? pending.result() }
        prefetch = nil
    }
}

private extension WALEvent {
    var isTransaction: Bool { kind == .commit || kind == .abort }
}

/// One segment downloaded and decompressed on a thread of its own.
private final class SegmentPrefetch {
    let segment: WALSegmentName
    private var outcome: Result<[UInt8], Error> = .success([])
    private var thread: WorkerThread?

    init(segment: WALSegmentName, index: ArchiveIndex) throws {
        self.segment = segment
        thread = try WorkerThread { [self] in
            outcome = Result { try index.decode(.segment(segment), limit: Int(index.segmentSize.bytes)) }
        }
    }

    /// Waits for the download (once) and returns its bytes or throws its error.
    func result() throws -> [UInt8] {
        thread?.join()
        thread = nil
        return try outcome.get()
    }
}
