import Foundation
import Testing
@testable import PITRNative
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

@Suite("S3Storage edge cases", .serialized)
struct S3EdgeTests {
    func storage(through proxy: FaultProxy, bucket: String, retries: Int = 3, caFile: String? = nil) throws -> S3Storage {
        var configuration = try S3TestRepository.configuration(bucket: bucket, partSize: S3Configuration.minimumPartSize, readSize: S3Configuration.minimumPartSize, endpoint: proxy.endpoint)
        configuration.retry = RetryPolicy(maxRetries: retries, budgetSeconds: 20, baseDelaySeconds: 0.01, maxDelaySeconds: 0.05)
        configuration.http = HTTPClientOptions(caFile: caFile, connectTimeoutMilliseconds: 2000, stallSeconds: 1)
        return try S3Storage(configuration: configuration, log: Log(level: .error))
    }

    @Test func aServerWithoutConditionalWritesGetsHeadThenPut() throws {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        defer { proxy.stop() }
        let bucket = MotoServer.uniqueBucket("no-conditional")
        try MotoServer.createBucket(bucket)
        let storage = try storage(through: proxy, bucket: bucket)
        proxy.queue(["501"])
        #expect(try storage.store("k", [1, 2]) == .stored)
        #expect(try storage.store("k", [3]) == .alreadyExists)
        #expect(try storage.load("k") == [1, 2])
        let puts = try proxy.log().filter { $0.method == "PUT" }
        #expect(puts.count == 2)  // the refused conditional PUT, then the plain one; the duplicate stopped at HEAD
    }

    @Test func exhaustedRetriesAreUnreachableNeverNotFound() throws {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        defer { proxy.stop() }
        let bucket = MotoServer.uniqueBucket("exhausted")
        try MotoServer.createBucket(bucket)
        let storage = try storage(through: proxy, bucket: bucket, retries: 3)
        proxy.setRate(1, faults: ["503", "reset"])
        for operation in [{ _ = try storage.openForReading("wal/x") }, { _ = try storage.size(of: "wal/x") },
                          { _ = try storage.readTail(of: "wal/x", count: 10) }, { _ = try storage.store("wal/x", [1]) }] {
            let error = #expect(throws: StorageError.self) { try operation() }
            guard case .unreachable(_, let reason) = error else { Issue.record("got \(String(describing: error))"); continue }
            #expect(reason.contains("gave up after 4 attempts"), "\(reason)")
            #expect(!reason.contains(S3TestRepository.credentials.secretAccessKey))
        }
        // 4 operations x 4 attempts; curl itself resends once when a reused connection was reset.
        #expect(try proxy.log().count >= 16)
    }

    @Test func anObjectReplacedMidReadFailsInsteadOfMixingVersions() throws {
        let part = S3Configuration.minimumPartSize
        let storage = try S3TestRepository.make("replaced", partSize: part, readSize: part)
        // Three chunks: the second may be read ahead before the replacement, the third is not.
        #expect(try storage.store("k", pattern(2 * part + 1000, seed: 1), chunk: 1 << 20) == .stored)
        let reader = try storage.openForReading("k")
        try storage.replace("k", pattern(2 * part + 1000, seed: 2))
        var block = [UInt8](repeating: 0, count: 1 << 20)
        let error = #expect(throws: S3Error.self) {
            while try block.withUnsafeMutableBytes({ try reader.read(into: $0) }) > 0 {}
        }
        #expect(error == .changedWhileRead(object: storage.describe("k")))
    }

    @Test func tlsIsVerifiedAndACAFileIsHonoured() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tt-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (certificate, key) = try localhostCertificate(in: folder)
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint(), tls: (certificate, key))
        defer { proxy.stop() }
        let bucket = MotoServer.uniqueBucket("tls")
        try MotoServer.createBucket(bucket)

        let untrusted = try storage(through: proxy, bucket: bucket)
        let refused = #expect(throws: HTTPTransportError.self) { _ = try untrusted.size(of: "k") }
        #expect(refused?.isTransient == false)
        #expect(refused?.description.lowercased().contains("certificate") == true, "\(String(describing: refused))")

        let trusted = try storage(through: proxy, bucket: bucket, caFile: certificate)
        #expect(try trusted.store("k", pattern(100_000)) == .stored)
        let same = try trusted.load("k") == pattern(100_000)
        #expect(same)
    }
}

@Suite("S3 secrets stay out of logs and errors")
struct S3SecretsTests {
    @Test func debugLogsRetriesAndErrorsNeverShowTheSecretKeyOrToken() throws {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        defer { proxy.stop() }
        let bucket = MotoServer.uniqueBucket("secrets")
        try MotoServer.createBucket(bucket)
        var configuration = try S3TestRepository.configuration(bucket: bucket, endpoint: proxy.endpoint)
        configuration.credentials = AWSCredentialProvider(AWSCredentials(accessKeyID: "AKIDVISIBLE", secretAccessKey: "SECRET-must-not-show", sessionToken: "TOKEN-must-not-show"))
        configuration.retry = RetryPolicy(maxRetries: 2, budgetSeconds: 10, baseDelaySeconds: 0.01, maxDelaySeconds: 0.02)

        // Capture this process's standard error (where Log writes) in a file.
        let captured = FileManager.default.temporaryDirectory.appendingPathComponent("tt-stderr-\(UUID().uuidString)").path
        let saved = dup(2)
        let file = open(captured, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        dup2(file, 2)
        var errors: [String] = []
        do {
            let storage = try S3Storage(configuration: configuration, log: Log(level: .debug))
            proxy.queue(["503", "reset"])
            _ = try storage.store("k", [1, 2, 3])
            _ = try storage.load("k")
            proxy.setRate(1, faults: ["503"])
            do { _ = try storage.load("k") } catch { errors.append("\(error)") }
            proxy.setRate(0)
            let missingBucket = try S3Storage(configuration: S3TestRepository.configuration(bucket: "no-such-bucket-secrets", endpoint: proxy.endpoint), log: Log(level: .debug))
            do { _ = try missingBucket.list(prefix: "") } catch { errors.append("\(error)") }
        } catch {
            errors.append("unexpected: \(error)")
        }
        dup2(saved, 2)
        close(saved)
        close(file)
        let log = try String(contentsOfFile: captured, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: captured)

        #expect(log.contains("AKIDVISIBLE") || log.contains("s3://\(bucket)/k"), "the debug log shows requests: \(log.prefix(500))")
        #expect(log.contains("retry"), "retries are logged")
        #expect(errors.count == 2, "\(errors)")
        for text in [log] + errors {
            #expect(!text.contains("SECRET-must-not-show"))
            #expect(!text.contains("TOKEN-must-not-show"))
            #expect(!text.contains("Signature="))
        }
    }
}

@Suite("S3 reads from a server that ignores Range")
struct S3IgnoredRangeTests {
    /// An object of three chunks stored straight on moto, and a storage that reads it through a fault proxy.
    private static func objectBehindProxy(_ name: String, seed: UInt8) throws -> (FaultProxy, S3Storage, [UInt8]) {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        let part = S3Configuration.minimumPartSize
        let direct = try S3TestRepository.make(name, partSize: part, readSize: part)
        let bytes = pattern(2 * part + 100, seed: seed)
        #expect(try direct.store("k", bytes, chunk: 1 << 20) == .stored)
        return (proxy, try S3TestRepository.throughProxy(proxy, to: direct), bytes)
    }

    @Test func wholeObjectAnswersAreCutToTheChunkWanted() throws {
        let (proxy, storage, bytes) = try Self.objectBehindProxy("norange", seed: 11)
        defer { proxy.stop() }
        proxy.setRate(1, faults: ["norange"])
        let same = try storage.load("k") == bytes
        #expect(same)
        #expect(try storage.readTail(of: "k", count: 10) == Array(bytes.suffix(10)))
        let gets = try proxy.log().filter { $0.method == "GET" }
        #expect(gets.map(\.status) == [200, 200, 200, 200])  // three chunks and the tail, each answered whole
    }

    /// The first chunk is read as it arrives: after a cut, the resumed GET answered whole from byte 0 gives only the
    /// bytes not yet held, so nothing is repeated or skipped in what the reader already took.
    @Test func aResumedWholeAnswerSkipsWhatArrivedBeforeTheCut() throws {
        let (proxy, storage, bytes) = try Self.objectBehindProxy("norange-cut", seed: 12)
        defer { proxy.stop() }
        proxy.queue(["cut", "norange"])
        let same = try storage.load("k") == bytes
        #expect(same)
        let gets = try proxy.log().filter { $0.method == "GET" }
        #expect(gets.count == 4, "\(gets.map(\.range))")  // the cut first chunk, its resumption answered whole, two chunks
        #expect(gets.dropFirst().first?.status == 200)
    }
}
