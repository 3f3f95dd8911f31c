import PITRPipeline
import PITRRepository
import PITRRestore
import PITRSupport
import PITRWAL

/// Judges the segment copies of one archive for `verify --window`, each at most once per run: a segment whose
/// object still has the stamp remembered from an earlier run is taken as proven without reading it; any other is
/// downloaded (authenticated), and its records decoded with `WALRecordScanner` (every record's CRC-32C and xl_prev,
/// every page address against the name). A record crossing into the next segment is read on with that segment's
/// bytes, which are then kept until it is judged itself, so that nothing is downloaded twice.
final class WindowSegmentJudge {
    let index: ArchiveIndex
    let tree: TimelineTree
    let remembered: [String: WindowProof.Entry]
    /// Segments downloaded in this run.
    private(set) var reads = 0
    /// Segments taken from the remembered proof.
    private(set) var reused = 0
    /// The sound, complete segments judged in this run (remembered or read): the next proof.
    private(set) var proven: [String: WindowProof.Entry] = [:]
    private var verdicts: [WALSegmentName: SegmentVerdict] = [:]
    private var pending: [WALSegmentName: [UInt8]] = [:]
    private let scanner: WALRecordScanner

    init(index: ArchiveIndex, tree: TimelineTree, remembered: [String: WindowProof.Entry]) {
        self.index = index
        self.tree = tree
        self.remembered = remembered
        scanner = WALRecordScanner(segmentSize: index.segmentSize, majorVersion: index.archive.identity.majorVersion)
    }

    func verdict(_ segment: WALSegmentName) -> SegmentVerdict {
        if let known = verdicts[segment] { return known }
        let judged = judge(segment)
        verdicts[segment] = judged
        return judged
    }

    private func judge(_ segment: WALSegmentName) -> SegmentVerdict {
        let key = index.archive.key(for: .segment(segment))
        let storage = index.archive.repository.storage
        let object = storage.describe(key)
        guard let stored = index.files[.segment(segment)] else {
            pending[segment] = nil
            return .missing(object: object)
        }
        do {
            let stamp = try WindowProof.stamp(trailer: try storage.readTail(of: key, count: ObjectTrailer.size),
                                              size: stored.size, modified: stored.lastModified)
            if let entry = remembered[segment.fileName], entry.stamp == stamp {
                pending[segment] = nil
                reused += 1
                proven[segment.fileName] = entry
                return .sound(entry.facts)
            }
            let bytes = try take(segment)
            let following = self.following(segment)
            var asked = false
            let scan = try scanner.scan(segment: segment, bytes: bytes) {
                // Only the next segment: a record longer than a whole segment is read no further.
                guard !asked, let following else { return nil }
                asked = true
                return self.peek(following)
            }
            let transactions = scan.events.filter { $0.kind == .commit || $0.kind == .abort }.map(\.time)
            let facts = SegmentFacts(end: scan.endLSN, firstCommit: transactions.min(), lastCommit: transactions.max())
            // Complete: its readable WAL reaches its end (a last record crossing into the next segment ends beyond it).
            if scan.endLSN >= segment.next(index.segmentSize).startLSN(index.segmentSize) {
                proven[segment.fileName] = WindowProof.Entry(stamp: stamp, facts: facts)
            }
            return .sound(facts)
        } catch let error as PITRError {
            return .bad(object: object, reason: error.description)
        } catch {
            return .bad(object: object, reason: "cannot read \(object): \(error)")
        }
    }

    /// The copy of the next segment a record crossing the end of `segment` continues into: the same timeline's,
    /// else the newest timeline's that branched off it at or after that segment's start.
    private func following(_ segment: WALSegmentName) -> WALSegmentName? {
        let next = segment.next(index.segmentSize)
        if index.contains(.segment(next)) { return next }
        return tree.descendants(of: segment.timeline, at: next.startLSN(index.segmentSize)).reversed()
            .map { WALSegmentName(timeline: $0, number: next.number(index.segmentSize), segmentSize: index.segmentSize) }
            .first { index.contains(.segment($0)) }
    }

    private func take(_ segment: WALSegmentName) throws -> [UInt8] {
        if let bytes = pending.removeValue(forKey: segment) { return bytes }
        return try download(segment)
    }

    /// The next segment's bytes for a crossing record, kept for its own turn unless it is already judged; nil when
    /// they cannot be read (the segment's own verdict then says why).
    private func peek(_ segment: WALSegmentName) -> [UInt8]? {
        if let bytes = pending[segment] { return bytes }
        guard let bytes = try? download(segment) else { return nil }
        if verdicts[segment] == nil { pending[segment] = bytes }
        return bytes
    }

    private func download(_ segment: WALSegmentName) throws -> [UInt8] {
        reads += 1
        return try index.decode(.segment(segment), limit: Int(index.segmentSize.bytes))
    }
}
