import Testing
@testable import PITR

@Suite struct PrefetchingSourceTests {
    /// Reads everything through `source` in reads of `step` bytes.
    func drain(_ source: ByteSource, step: Int) throws -> [UInt8] {
        var all: [UInt8] = []
        var block = [UInt8](repeating: 0, count: step)
        while true {
            let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return all }
            all += block[..<n]
        }
    }

    @Test(arguments: [(0, 1000), (1, 1), (5_000, 333), (64 * 1024 + 17, 4096), (300_000, 1 << 20)])
    func deliversTheSameBytesInOrder(size: Int, step: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let source = try PrefetchingSource(MemorySource(bytes, maximumRead: 1000), blockSize: 4096, blockCount: 3)
        #expect(try drain(source, step: step) == bytes)
        #expect(try drain(source, step: step) == [], "stays at its end")
    }

    @Test func passesOnTheReadersErrorAfterTheBytesBeforeIt() throws {
        let source = try PrefetchingSource(FailingSource(after: 10_000), blockSize: 4096, blockCount: 2)
        var received = 0
        var block = [UInt8](repeating: 0, count: 1000)
        #expect(throws: TestFailure.self) {
            while true {
                let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                received += n
            }
        }
        #expect(received == 8192, "the two full blocks read before the failure")
    }

    @Test func closingEarlyStopsTheReader() throws {
        let source = try PrefetchingSource(MemorySource([UInt8](repeating: 1, count: 1 << 20)), blockSize: 4096, blockCount: 2)
        var block = [UInt8](repeating: 0, count: 10)
        #expect(try block.withUnsafeMutableBytes { try source.read(into: $0) } == 10)
        source.close()
    }
}
