import Foundation
import Testing
@testable import PITRStorage
@testable import PITRSupport

/// The reader takes a chunk's bytes while its download still runs, and stops the download when it gives up.
@Suite("ArrivingBytes")
struct ArrivingBytesTests {
    /// The downloader appends its first half, then waits (at most 10 s) for the reader to have taken it before it
    /// appends the rest: a reader that saw bytes only at the end would leave the first wait to time out.
    @Test func theReaderTakesBytesBeforeTheDownloadEnds() throws {
        let bytes = ArrivingBytes(capacity: 1 << 16)
        let first = [UInt8](repeating: 1, count: 1000), rest = [UInt8](repeating: 2, count: 500)
        let taken = ConditionLock()
        var readerTookFirst = false
        var sawFirstBeforeTheEnd = false
        let downloader = try WorkerThread {
            try? first.withUnsafeBytes { try bytes.append($0) }
            let deadline = Date().addingTimeInterval(10)
            while !taken.locked({ readerTookFirst }) && Date() < deadline { usleep(1000) }
            taken.locked { sawFirstBeforeTheEnd = readerTookFirst }
            try? rest.withUnsafeBytes { try bytes.append($0) }
            bytes.end()
        }
        #expect(bytes.waitForFirst())
        var received: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 500)  // the reader waits for a full block: 1000 bytes are two
        while true {
            let count = block.withUnsafeMutableBytes { bytes.read(into: $0, at: received.count) }
            if count == 0 { break }
            received += block[..<count]
            if received.count >= first.count { taken.locked { readerTookFirst = true } }
        }
        downloader.join()
        #expect(sawFirstBeforeTheEnd)
        #expect(received == first + rest)
    }

    @Test func aReaderThatGivesUpStopsTheDownload() throws {
        let bytes = ArrivingBytes(capacity: 16)
        try [UInt8](repeating: 0, count: 8).withUnsafeBytes { try bytes.append($0) }
        bytes.abandon()
        #expect(throws: ArrivingBytes.Abandoned.self) { try [UInt8](repeating: 0, count: 8).withUnsafeBytes { try bytes.append($0) } }
        #expect(bytes.end().count == 8)
    }

    @Test func anEmptyDownloadEndsTheWaitWithNothing() {
        let bytes = ArrivingBytes(capacity: 16)
        bytes.end()
        #expect(!bytes.waitForFirst())
        var block = [UInt8](repeating: 0, count: 4)
        #expect(block.withUnsafeMutableBytes { bytes.read(into: $0, at: 0) } == 0)
    }
}
