import Testing
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// A store that does not honour conditional writes (If-None-Match), played by the fault proxy stripping the header in
/// front of moto, is refused when the repository is set up, naming the missing feature; one that does is probed once
/// and the result recorded in the repository log, so later processes do not probe again.
@Suite struct ConditionalWriteProbeTests {
    func repository(_ bucket: String, through proxy: FaultProxy) throws -> Repository {
        let configuration = try S3TestRepository.configuration(bucket: bucket, prefix: "pg", endpoint: proxy.endpoint)
        return Repository(storage: try S3Storage(configuration: configuration, log: Log(level: .error)), key: nil)
    }

    @Test func aStoreThatOverwritesIsRefusedAndAProbedOneIsNotProbedAgain() throws {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        defer { proxy.stop() }
        let bucket = MotoServer.uniqueBucket("condprobe")
        try MotoServer.createBucket(bucket)

        proxy.setRate(1, faults: ["nocondition"])
        let refused = #expect(throws: S3Error.self) { try repository(bucket, through: proxy).checkEncryption() }
        #expect(refused?.description.contains("does not support conditional writes (If-None-Match: *)") == true, "\(refused?.description ?? "")")
        #expect(refused?.description.contains("bucket \(bucket)") == true)
        let written = try proxy.log().filter { $0.method == "PUT" }
        #expect(written.count == 2 && written.allSatisfy { $0.path.contains("/pg/probes/conditional-write.") }, "nothing but the probe is written")

        proxy.setRate(0)
        try repository(bucket, through: proxy).checkEncryption()
        #expect(try proxy.log().contains { $0.path.contains("/pg/probes/") })
        let again = try repository(bucket, through: proxy)
        try again.checkEncryption()
        #expect(try again.recordedState()?.conditionalWrites == true)
        #expect(try !proxy.log().contains { $0.path.contains("/probes/") }, "recorded: not probed again")
        #expect(try again.storage.list(prefix: "probes/").count == 2, "one probe object per probing process, left")
    }
}
