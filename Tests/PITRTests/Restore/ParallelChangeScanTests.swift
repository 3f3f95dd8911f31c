import Testing
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRWAL

/// The parallel scan over the locator tests' synthetic archive: every segment's summary exactly once, in WAL
/// order, whatever the threads and run lengths; a worker's failure ends the scan with its error.
@Suite struct ParallelChangeScanTests {
    let chain = try! SyntheticChain.make(segments: 24)

    @Test(arguments: [(1, 8), (3, 2), (4, 5), (2, 1)])
    func summariesComeInWALOrder(threads: Int, runLength: Int) throws {
        let range = 2..<22
        var summaries = 0
        var ends: [WALChangeSummary.TransactionEnd] = []
        try ParallelChangeScan(segments: chain.segments, range: range, index: chain.index, openRepository: { [chain] in chain.index.archive.repository },
                               threads: threads, runLength: runLength).run {
            summaries += 1
            ends += $0.transactionEnds
        }
        let first = chain.segments[range.lowerBound].startLSN(SyntheticWAL.segmentSize)
        let end = chain.segments[range.upperBound].startLSN(SyntheticWAL.segmentSize)
        let expected = chain.events.filter { $0.kind == .commit && $0.lsn >= first && $0.lsn < end }
        #expect(summaries == range.count)
        #expect(ends.map(\.xid) == expected.map(\.xid) && ends.map(\.lsn) == expected.map(\.lsn))
        #expect(ends.allSatisfy { $0.committed })
    }

    @Test func aWorkerThatCannotConnectEndsTheScan() {
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try ParallelChangeScan(segments: chain.segments, range: 0..<20, index: chain.index, openRepository: { throw Refused() },
                                   threads: 2, runLength: 3).run { _ in }
        }
    }
}
