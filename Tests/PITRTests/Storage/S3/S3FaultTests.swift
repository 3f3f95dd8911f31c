import Foundation
import Testing
@testable import PITRNative
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// The driver through `FaultProxy`: transient faults are retried, a GET cut short resumes,
/// a 403 is settled by a listing, a failed multipart upload leaves nothing behind.
@Suite("S3Storage under injected faults", .serialized)
final class S3FaultTests {
    let proxy: FaultProxy
    let storage: S3Storage
    /// The same bucket straight on moto, to check what was really stored.
    let direct: S3Storage

    init() throws {
        proxy = try FaultProxy(upstream: try MotoServer.endpoint(), stallSeconds: 3)
        let bucket = MotoServer.uniqueBucket("faults")
        try MotoServer.createBucket(bucket)
        var configuration = try S3TestRepository.configuration(bucket: bucket, partSize: S3Configuration.minimumPartSize, readSize: S3Configuration.minimumPartSize, endpoint: proxy.endpoint)
        configuration.retry = RetryPolicy(maxRetries: 8, budgetSeconds: 60, baseDelaySeconds: 0.01, maxDelaySeconds: 0.2)
        configuration.http = HTTPClientOptions(connectTimeoutMilliseconds: 2000, stallSeconds: 1)
        storage = try S3Storage(configuration: configuration, log: Log(level: .error))
        direct = try S3Storage(configuration: S3TestRepository.configuration(bucket: bucket, partSize: S3Configuration.minimumPartSize, readSize: S3Configuration.minimumPartSize), log: Log(level: .error))
    }

    deinit { proxy.stop() }

    @Test func aGetCutShortResumesWithARange() throws {
        let bytes = pattern(1_000_000, seed: 5)
        #expect(try direct.store("object", bytes) == .stored)
        _ = try proxy.log()
        proxy.queue(["cut"])
        let same = try storage.load("object") == bytes
        #expect(same)
        let gets = try proxy.log().filter { $0.method == "GET" }
        #expect(gets.count == 2)
        #expect(gets.first?.range.hasPrefix("bytes=0-") == true)
        #expect(gets.last.map { !$0.range.hasPrefix("bytes=0-") && $0.range.hasPrefix("bytes=") } == true, "\(gets.map(\.range))")
    }

    /// An object of three chunks is read ahead on a second connection; a cut in that download resumes too.
    @Test func aReadAheadCutShortResumesWithARange() throws {
        let part = S3Configuration.minimumPartSize
        let bytes = pattern(2 * part + 4_321, seed: 9)
        #expect(try direct.store("three-chunks", bytes, chunk: 1 << 20) == .stored)
        _ = try proxy.log()
        proxy.queue(["pass", "cut"])  // the first chunk, then the read-ahead of the second is cut
        let same = try storage.load("three-chunks") == bytes
        #expect(same)
        let ranges = try proxy.log().filter { $0.method == "GET" }.map(\.range)
        #expect(ranges.count == 4, "\(ranges)")
        #expect(ranges.first == "bytes=0-\(part - 1)")
        #expect(ranges.contains { $0.hasPrefix("bytes=\(part)-") } && ranges.contains { $0.hasPrefix("bytes=\(2 * part)-") }, "\(ranges)")
        #expect(ranges.contains { !["bytes=0-", "bytes=\(part)-", "bytes=\(2 * part)-"].contains(where: $0.hasPrefix) }, "no resumed range in \(ranges)")
    }

    /// What a server says reaches PostgreSQL's log: its control characters are escaped and its length bounded,
    /// so it can neither forge log lines nor drive the terminal of whoever reads the log.
    @Test func aServersErrorTextIsMadeSafeForOneLogLine() throws {
        proxy.queue(["hostile"])
        let error = #expect(throws: S3Error.self) { _ = try storage.readHead(of: "hostile", count: 10) }
        let text = error?.description ?? ""
        let unsafe = text.unicodeScalars.filter {
            $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" || $0 == "\u{2028}"
        }
        #expect(unsafe.isEmpty, "\(text.debugDescription)")
        #expect(text.contains("HTTP 400 Hostile\\u{1B}[31mCode: first line\\u{A}forged: second line\\u{D}\\u{A}\\u{1B}]0;title\\u{7}\\u{202E}\\u{2028}AAA"),
                "\(text.debugDescription)")
        #expect(text.count < 600 && text.contains("(cut at 300 characters)"), "\(text.count) characters: \(text.debugDescription)")
    }

    @Test(arguments: FaultProxy.faults)
    func aPutSurvivesEachTransientFault(fault: String) throws {
        proxy.queue([fault])
        let key = "put-\(fault)"
        let outcome = try storage.store(key, pattern(200_000, seed: 7))
        // When the server applied the first attempt, the retry finds the object there: the
        // caller then compares digests, as for any object already archived.
        #expect(outcome == (fault.hasSuffix("after") ? .alreadyExists : .stored))
        let same = try direct.load(key) == pattern(200_000, seed: 7)
        #expect(same)
    }

    /// A sequence of objects (a backup archive's pieces) asks for the next object's first range while the current
    /// object's last range is still being read, on the read-ahead connection; a cut in that download resumes, and
    /// every byte of every object comes back in order.
    @Test func aSequenceReadsTheNextObjectAheadAndResumesACut() throws {
        let part = S3Configuration.minimumPartSize
        let objects = [pattern(part + 1_234, seed: 11), pattern(200_000, seed: 12), pattern(2 * part, seed: 13)]
        for (index, bytes) in objects.enumerated() { #expect(try direct.store("piece-\(index)", bytes, chunk: 1 << 20) == .stored) }
        _ = try proxy.log()
        // piece-0's two ranges pass; piece-1's only range, asked for ahead, is cut half way.
        proxy.queue(["pass", "pass", "cut"])
        let sequence = storage.openSequence(objects.indices.map { "piece-\($0)" })
        var seen: [FaultProxy.Entry] = []
        for (index, bytes) in objects.enumerated() {
            let source = try #require(try sequence.next())
            var read: [UInt8] = []
            var block = [UInt8](repeating: 0, count: 65_536)
            while read.count < bytes.count - 1 {
                let n = try block.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<min($0.count, bytes.count - 1 - read.count)])) }
                #expect(n > 0)
                read += block[..<n]
            }
            if index + 1 < objects.count {
                // The last range of this object is in hand: the next object's first range is (or soon is) on its way.
                let next = "/piece-\(index + 1)"
                let deadline = Date().addingTimeInterval(10)
                while !seen.contains(where: { $0.method == "GET" && $0.path.hasSuffix(next) }) && Date() < deadline {
                    seen += try proxy.log()
                    Thread.sleep(forTimeInterval: 0.02)
                }
                #expect(seen.contains { $0.method == "GET" && $0.path.hasSuffix(next) }, "piece-\(index + 1) not asked for before piece-\(index) was read")
            }
            let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
            read += block[..<n]
            #expect(try block.withUnsafeMutableBytes { try source.read(into: $0) } == 0)
            #expect(read == bytes, "piece-\(index) came back different")
        }
        #expect(try sequence.next() == nil)
        seen += try proxy.log()
        let cut = seen.filter { $0.path.hasSuffix("/piece-1") }
        #expect(cut.map(\.fault) == ["cut", "pass"] && cut.last?.range.hasPrefix("bytes=0-") == false, "\(cut.map { ($0.fault, $0.range) })")
    }

    /// A missing object, or one whose download ahead fails past every retry, fails the sequence when it is asked
    /// for, naming the object; what came before it was read whole.
    @Test func aSequenceFailsCleanlyOnAMissingOrCutObject() throws {
        #expect(try direct.store("before", pattern(1_000, seed: 14)) == .stored)
        #expect(try direct.store("after", pattern(1_000, seed: 15)) == .stored)
        let missing = storage.openSequence(["before", "absent"])
        #expect(try readAll(try #require(try missing.next())) == pattern(1_000, seed: 14))
        #expect(throws: StorageError.notFound(object: storage.describe("absent"))) { _ = try missing.next() }

        // The first GET passes; every attempt at the second (8 retries here) is reset.
        proxy.queue(["pass"] + Array(repeating: "reset", count: 9))
        let cut = storage.openSequence(["before", "after"])
        #expect(try readAll(try #require(try cut.next())) == pattern(1_000, seed: 14))
        let error = #expect(throws: (any Error).self) { _ = try cut.next() }
        let text = error.map { ($0 as? PITRError)?.description ?? "\($0)" } ?? ""
        #expect(text.contains(storage.describe("after")), "\(text)")
    }

    @Test func aForbiddenReadIsSettledByAListing() throws {
        #expect(try direct.store("present", [1, 2, 3]) == .stored)
        proxy.queue(["403"])
        #expect(throws: StorageError.notFound(object: storage.describe("absent"))) { _ = try storage.openForReading("absent") }
        proxy.queue(["403"])
        #expect(throws: S3Error.forbidden(object: storage.describe("present"))) { _ = try storage.openForReading("present") }
        proxy.queue(["403", "403"])
        #expect(throws: S3Error.missingOrForbidden(object: storage.describe("absent"))) { _ = try storage.openForReading("absent") }
        proxy.queue(["403"])
        #expect(try storage.size(of: "absent") == nil)
    }

    /// Only AccessDenied can hide a missing key: every other 403 is its own cause, named with its
    /// hint and never sent through a listing or to IAM; a HEAD's 403, without a body, is read again
    /// as a one-byte GET to learn its code.
    @Test func aForbiddenReadNamesItsCause() throws {
        #expect(try direct.store("present", [1, 2, 3]) == .stored)
        _ = try proxy.log()
        proxy.queue(["403:SignatureDoesNotMatch"])
        let wrongSecret = #expect(throws: S3Error.self) { _ = try storage.openForReading("present") }
        #expect(wrongSecret?.code == "SignatureDoesNotMatch")
        #expect(wrongSecret?.description.contains("check AWS_SECRET_ACCESS_KEY") == true)
        #expect(wrongSecret?.description.contains("IAM") == false)
        #expect(try proxy.log().map(\.method) == ["GET"])

        proxy.queue(["403", "403:InvalidAccessKeyId"])
        let unknownKey = #expect(throws: S3Error.self) { _ = try storage.size(of: "present") }
        #expect(unknownKey?.code == "InvalidAccessKeyId")
        #expect(try proxy.log().map { "\($0.method) \($0.range)" } == ["HEAD ", "GET bytes=0-0"])

        proxy.queue(["403"])
        #expect(try storage.size(of: "present") == 3)
        proxy.queue(["403"])
        #expect(try storage.size(of: "absent") == nil)

        proxy.queue(["403:InvalidObjectState"])
        let archived = #expect(throws: S3Error.self) { _ = try storage.readHead(of: "present", count: 2) }
        #expect(archived?.description.contains("archive storage class") == true)

        proxy.queue(["403", "403:ExpiredToken"])
        let expired = #expect(throws: S3Error.self) { _ = try storage.openForReading("absent") }
        #expect(expired?.code == "ExpiredToken")
    }

    @Test func aPermanentFailureAbortsTheMultipartUpload() throws {
        let part = S3Configuration.minimumPartSize
        proxy.queue(["pass", "pass", "403"])  // create, part 1, part 2 refused
        let error = #expect(throws: S3Error.self) { _ = try storage.store("doomed", pattern(2 * part + 10), chunk: 1 << 20) }
        #expect(error?.code == "AccessDenied")
        #expect(try S3TestRepository.pendingUploads(direct) == 0)
        #expect(try direct.size(of: "doomed") == nil)
    }

    @Test func aLostCreateAnswerLeavesNoStrayUpload() throws {
        let part = S3Configuration.minimumPartSize
        proxy.queue(["resetafter"])  // CreateMultipartUpload applied, answer lost
        #expect(try storage.store("created-twice", pattern(part + 10), chunk: 1 << 20) == .stored)
        #expect(try S3TestRepository.pendingUploads(direct) == 0)
    }

    @Test func thirtyPercentFaults() throws {
        let part = S3Configuration.minimumPartSize
        let objects: [(String, [UInt8])] = (0..<8).map { ("small-\($0)", pattern(150_000 + $0, seed: UInt8($0))) }
            + [("large-1", pattern(2 * part + 77, seed: 41)), ("large-2", pattern(part + 1, seed: 42))]
        proxy.setRate(0.3)
        var stored = 0
        for (key, bytes) in objects {
            do {
                let outcome = try storage.store(key, bytes, chunk: 1 << 20)
                #expect(outcome == .stored || outcome == .alreadyExists)
                stored += 1
            } catch {
                // Failing loudly is allowed; storing a partial object is not (checked below).
                print("store \(key) failed: \(error)")
            }
        }
        for (key, bytes) in objects {
            if let loaded = try? storage.load(key) {
                let same = loaded == bytes
                #expect(same, "\(key) read back differs under faults")
            }
        }
        proxy.setRate(0)
        let log = try proxy.log()
        print("30% faults: \(stored)/\(objects.count) objects stored, \(log.filter { $0.fault != "pass" }.count) faults in \(log.count) requests")
        for (key, bytes) in objects {
            guard let size = try direct.size(of: key) else { continue }
            #expect(size == bytes.count, "\(key) stored partially")
            let same = try direct.load(key) == bytes
            #expect(same, "\(key) stored differently")
        }
        #expect(try S3TestRepository.pendingUploads(direct) == 0)
        #expect(stored >= objects.count - 1)
    }
}
