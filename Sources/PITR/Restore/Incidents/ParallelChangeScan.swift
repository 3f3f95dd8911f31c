import PITRRepository
import PITRSupport
import PITRWAL

/// Decodes `segments[range]` into change summaries on several threads and hands them over in WAL order.
/// The range is cut into runs of `runLength` (8) consecutive segments; each worker takes the next run, on its
/// own connection to the repository, and reads each run's crossing last record on into the following
/// segment (downloaded twice, once per run: one segment in `runLength`). At most `threads + 1` runs are
/// decoded ahead of the consumer, so memory stays bounded however much WAL is read.
final class ParallelChangeScan: @unchecked Sendable {
    static let runLength = 8

    private let segments: [WALSegmentName]
    private let runs: [Range<Int>]
    private let index: ArchiveIndex
    private let openRepository: RepositoryOpener
    private let threads: Int

    // Shared state, touched only inside `lock.locked`.
    private let lock = ConditionLock()
    private var nextRun = 0
    private var consumed = 0
    private var finished: [Int: [WALChangeSummary]] = [:]
    private var failure: Error?

    init(segments: [WALSegmentName], range: Range<Int>, index: ArchiveIndex, openRepository: @escaping RepositoryOpener, threads: Int,
         runLength: Int = ParallelChangeScan.runLength) {
        self.segments = segments
        self.runs = stride(from: range.lowerBound, to: range.upperBound, by: max(1, runLength)).map {
            $0..<min($0 + max(1, runLength), range.upperBound)
        }
        self.index = index
        self.openRepository = openRepository
        self.threads = max(1, min(threads, runs.count))
    }

    /// Calls `consume` with each segment's summary, in WAL order; throws the first error a worker met.
    func run(_ consume: (WALChangeSummary) -> Void) throws {
        var workers: [WorkerThread] = []
        defer {
            lock.locked {
                if failure == nil { failure = CancellationError() }
                lock.broadcast()
            }
            workers.forEach { $0.join() }
        }
        for _ in 0..<threads {
            workers.append(try WorkerThread("incidents: decode WAL") { [self] in work() })
        }
        for run in runs.indices {
            let summaries: [WALChangeSummary] = try lock.locked {
                while finished[run] == nil, failure == nil { lock.wait() }
                if let failure { throw failure }
                consumed = run + 1
                lock.broadcast()
                return finished.removeValue(forKey: run) ?? []
            }
            summaries.forEach(consume)
        }
    }

    private struct CancellationError: Error {}

    private func work() {
        let reader: ArchiveIndex
        do {
            reader = index.reading(through: try openRepository())
        } catch {
            lock.locked {
                failure = failure ?? error
                lock.broadcast()
            }
            return
        }
        while true {
            let next: Int? = lock.locked {
                while failure == nil, nextRun < runs.count, nextRun - consumed > threads { lock.wait() }
                guard failure == nil, nextRun < runs.count else { return nil }
                defer { nextRun += 1 }
                return nextRun
            }
            guard let run = next else { return }
            let outcome = Result { try Self.summarize(segments, run: runs[run], index: reader) }
            lock.locked {
                switch outcome {
                case .success(let summaries): finished[run] = summaries
                case .failure(let error): failure = failure ?? error
                }
                lock.broadcast()
            }
        }
    }

    /// One run of consecutive positions; a record crossing a segment's end is read on into the following
    /// segments of `segments`, whose bytes are kept for the next position.
    private static func summarize(_ segments: [WALSegmentName], run: Range<Int>, index: ArchiveIndex) throws -> [WALChangeSummary] {
        let scanner = WALRecordScanner(segmentSize: index.segmentSize, majorVersion: index.archive.identity.majorVersion)
        let limit = Int(index.segmentSize.bytes)
        var kept: (segment: WALSegmentName, bytes: [UInt8])?
        var summaries: [WALChangeSummary] = []
        for position in run {
            let segment = segments[position]
            let bytes = kept?.segment == segment ? kept?.bytes ?? [] : try index.decode(.segment(segment), limit: limit)
            kept = nil
            var continuation = position + 1
            let result = try scanner.summarize(segment: segment, bytes: bytes) {
                guard continuation < segments.count,
                      segments[continuation].number(index.segmentSize) == segment.number(index.segmentSize) + UInt64(continuation - position)
                else { return nil }
                defer { continuation += 1 }
                let next = try index.decode(.segment(segments[continuation]), limit: limit)
                if continuation == position + 1 { kept = (segments[continuation], next) }
                return next
            }
            summaries.append(result.changes)
        }
        return summaries
    }
}
