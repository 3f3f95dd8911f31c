import Foundation
import Testing
import PITRRetention
import PITRStorage
import TestSupport

extension PostgreSQLIntegration {
    /// The integration tests of the file:// repository, again on s3:// (moto on loopback),
    /// plus a run through the fault proxy at a 30% fault rate.
    @Suite
    struct S3Archive {
        /// Archives under pgbench through wal-push to `endpoint`, recovers a base backup through
        /// wal-fetch, and compares the data; returns the storage for further checks.
        func archiveAndRecover(endpoint: (S3Storage) throws -> String, extra: [String] = [], scale: Int, transactions: Int) throws -> S3Storage {
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket("it-recover", prefix: "pg/main")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: try endpoint(storage), compression: "lz4",
                                                    encrypted: true, extra: extra)
            let primary = try PostgresCluster.initialize(in: sandbox, name: "primary")
            try primary.archive(through: tailtown)
            try primary.start()
            let restored = try PostgresCluster.baseBackup(of: primary, name: "restored")
            try primary.pgbench(["-i", "-q", "-s", String(scale)])
            try primary.pgbench(["-n", "-c", "2", "-j", "2", "-t", String(transactions)])
            let lastName = try primary.switchWAL()
            try primary.waitUntilArchived(lastName, seconds: 300)

            let archived = try S3Services.segmentNames(storage)
            let first = try #require(archived.first, "no segment in \(storage.describe("wal/"))")
            let last = try #require(WALSegment(lastName, segmentSizeMB: 16))
            let expected = try #require(WALSegment(first, segmentSizeMB: 16)).through(last).map(\.name)
            #expect(first == "000000010000000000000001")
            #expect(Set(expected).isSubset(of: Set(archived)), "missing: \(Set(expected).subtracting(archived).sorted())")
            #expect(try storage.size(of: "tailtown-pitr.repo") != nil)
            #expect(try S3Services.pendingUploads(storage) == 0)

            try restored.recover(through: tailtown)
            #expect(try restored.pgbenchFingerprint() == primary.pgbenchFingerprint())
            try restored.stop()
            try primary.stop()
            return storage
        }

        @Test func archiveUnderPgbenchThenRecoverThroughWALFetch() throws {
            _ = try archiveAndRecover(endpoint: { _ in try S3Services.moto.get() }, scale: 10, transactions: 3_000)
        }

        @Test func thirtyPercentFaultsStillArchiveAndRecoverEverything() throws {
            let proxy = try S3Services.faultProxy(rate: 0.3)
            defer { proxy.stop() }
            // More retries than the default keep a 30% fault rate from exhausting them (0.3^11 per request).
            _ = try archiveAndRecover(endpoint: { _ in proxy.endpoint }, extra: ["TAILTOWN_S3_MAX_RETRIES=10"], scale: 5, transactions: 1_000)
            let log = try proxy.log()
            let (requests, faults) = (log.count, log.filter { $0.fault != "pass" }.count)
            print("S3 integration under faults: \(faults) faults injected in \(requests) requests")
            #expect(faults > 0)
        }

        @Test func duplicatePushSucceedsConflictingPushFailsAndChangesNothing() throws {
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket("it-push", prefix: "")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(), compression: "zstd", encrypted: false)
            let archived = try ArchivedCluster.make(in: sandbox, tailtown: tailtown)
            let (cluster, segment) = (archived.cluster, archived.segment)
            let key = try #require(try storage.list(prefix: "wal/").first { $0.hasSuffix("/" + segment) })
            let before = try storage.readSmallObject(key, limit: 64 << 20)

            for attempt in 1...2 {
                let result = try tailtown.push("pg_wal/" + segment, in: cluster.dataDirectory)
                #expect(result.status == 0, "push \(attempt) of an archived segment: \(result.stderr)")
            }
            var tampered = try Data(contentsOf: URL(fileURLWithPath: cluster.dataDirectory + "/pg_wal/" + segment))
            tampered[5_000] ^= 0xFF
            let tamperedPath = try sandbox.makeDirectory("tampered") + "/" + segment
            try tampered.write(to: URL(fileURLWithPath: tamperedPath))
            try Sandbox.giveToPostgres(tamperedPath, mode: 0o600)
            let result = try tailtown.push(tamperedPath, in: cluster.dataDirectory)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("WAL file '\(tamperedPath)' is already archived as") && result.stderr.contains("with different content"),
                    "the error should name the segment and the conflict: \(result.stderr)")
            #expect(!result.stderr.contains("integration-secret-key"))
            #expect(try storage.readSmallObject(key, limit: 64 << 20) == before, "the archived object changed")
            try cluster.stop()
        }

        @Test func fetchExitsOneOnlyForAMissingObject() throws {
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket("it-fetch", prefix: "x")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(), compression: "lz4", encrypted: false)
            let cluster = try PostgresCluster.initialize(in: sandbox, name: "primary")
            try cluster.archive(through: tailtown)
            try cluster.start()
            let segment = try cluster.switchWAL()
            try cluster.waitUntilArchived(segment)

            let missing = try tailtown.fetch("0000000100000000000000F0", to: "pg_wal/RECOVERYXLOG", in: cluster.dataDirectory)
            #expect(missing.status == 1, "\(missing.stderr)")
            let fetched = try tailtown.fetch(segment, to: "pg_wal/RECOVERYXLOG", in: cluster.dataDirectory)
            #expect(fetched.status == 0, "\(fetched.stderr)")

            // An endpoint that does not answer: never "missing" (1), always 200, and no file left behind.
            let unreachable = try S3Services.configure(in: sandbox, storage: storage, endpoint: "http://127.0.0.1:1", compression: "lz4",
                                                       encrypted: false, extra: ["TAILTOWN_S3_MAX_RETRIES=1"])
            let failed = try unreachable.fetch(segment, to: "pg_wal/RECOVERYXLOG2", in: cluster.dataDirectory)
            #expect(failed.status == 200, "\(failed.stderr)")
            #expect(failed.stderr.contains("error: cannot reach GET") && failed.stderr.contains("Failed to connect to 127.0.0.1 port 1"), "the fetch failed for want of the endpoint: \(failed.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cluster.dataDirectory + "/pg_wal/RECOVERYXLOG2"))
            #expect(!failed.stderr.contains("integration-secret-key"))
            try cluster.stop()
        }
    }
}
