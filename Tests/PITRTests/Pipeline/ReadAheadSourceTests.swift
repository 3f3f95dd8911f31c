import Testing
@testable import PITRPipeline
@testable import PITRSupport

/// The bytes read ahead on the second thread come back whole and in order, whatever the sizes of the upstream's reads
/// and of the buffers; the upstream's error reaches the caller after the bytes read before it; and `stop` before the
/// end joins a thread that waits for a free buffer.
@Suite struct ReadAheadSourceTests {
    static let data = mixedData(count: (1 << 20) + 333, seed: 5)

    @Test func everyByteInOrder() throws {
        for (maximumRead, blockSize, blockCount) in [(1 << 20, 1 << 17, 4), (4099, 1 << 16, 2), (1, 1000, 1), (70_000, 3, 3)] {
            let source = ReadAheadSource(MemorySource(Self.data, maximumRead: maximumRead), blockSize: blockSize, blockCount: blockCount)
            var read: [UInt8] = []
            while try source.next({ read += $0 }) {}
            #expect(read == Self.data, "reads of \(maximumRead), \(blockCount) buffers of \(blockSize)")
            #expect(try !source.next { _ in Issue.record("bytes after the end") })
        }
        let empty = ReadAheadSource(MemorySource([]))
        #expect(try !empty.next { _ in Issue.record("bytes of an empty source") })
    }

    @Test func theUpstreamsErrorFollowsItsBytes() throws {
        let source = ReadAheadSource(FailingSource(after: 10_000), blockSize: 4096, blockCount: 2)
        var read = 0
        #expect(throws: TestFailure.self) {
            while try source.next({ read += $0.count }) {}
        }
        #expect(read == 8192)
    }

    @Test func stopBeforeTheEnd() throws {
        let source = ReadAheadSource(MemorySource(Self.data), blockSize: 4096, blockCount: 2)
        var first: [UInt8] = []
        #expect(try source.next { first = Array($0) })
        #expect(first == Array(Self.data[..<4096]))
        source.stop()
        #expect(try !source.next { _ in Issue.record("bytes after stop") })
    }
}
