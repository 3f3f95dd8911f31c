import Testing
@testable import PITRStorage
import TestSupport

/// An object replaced while its first range downloads: the GET is cut, the object replaced straight on moto, and
/// the resumed GET (held at the proxy meanwhile) must carry If-Match with the first answer's ETag.
@Suite("S3 reads of an object replaced while its first range downloads", .serialized)
struct S3ReplacedReadTests {
    /// Reads `first` through a proxy that cuts the first GET and holds the next until `second` replaced it.
    private static func readReplaced(_ name: String, first: [UInt8], second: [UInt8]) throws -> (Result<[UInt8], Error>, [FaultProxy.Entry], String) {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        defer { proxy.stop() }
        let direct = try S3TestRepository.make(name)
        #expect(try direct.store("k", first) == .stored)
        let storage = try S3TestRepository.throughProxy(proxy, to: direct)
        proxy.queue(["cut", "wait"])
        // Returns once the first bytes arrived, which the cut left in place.
        let reader = try storage.openForReading("k")
        try direct.replace("k", second)
        proxy.release()
        let result = Result { try readAll(reader) }
        return (result, try proxy.log().filter { $0.method == "GET" }, storage.describe("k"))
    }

    @Test func aNewVersionAfterTheCutFailsNamingTheObject() throws {
        let (result, gets, object) = try Self.readReplaced("replaced-cut", first: pattern(300_000, seed: 21), second: pattern(300_000, seed: 22))
        #expect(throws: S3Error.changedWhileRead(object: object)) { try result.get().count }
        // The cut GET, then its resumption, refused (412): nothing more is read.
        #expect(gets.first?.fault == "cut")
        #expect(gets.dropFirst().map(\.status) == [412], "\(gets.map { ($0.fault, $0.range, $0.status) })")
    }
}
