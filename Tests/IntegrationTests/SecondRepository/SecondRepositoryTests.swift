import Foundation
import Testing
import PITRStorage
import TestSupport

extension PostgreSQLIntegration {
    /// TAILTOWN_REPO2, as processes against a real PostgreSQL 15 cluster: a file:// first repository and an s3://
    /// second (moto, behind the fault proxy so that it can be cut off), and the second repositories that are refused.
    @Suite struct SecondRepositoryTests {
        /// The keys under `prefix` of a file:// repository, as the object keys of the second would be.
        static func fileKeys(_ tailtown: Tailtown, under prefix: String) -> Set<String> {
            let root = tailtown.repository.root
            var keys = Set<String>()
            let walker = FileManager.default.enumerator(atPath: root + "/" + prefix)
            while let relative = walker?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                let name = relative.split(separator: "/").last.map(String.init) ?? relative
                if !name.hasPrefix("."), FileManager.default.fileExists(atPath: root + "/" + prefix + relative, isDirectory: &isDirectory),
                   !isDirectory.boolValue {
                    keys.insert(prefix + relative)
                }
            }
            return keys
        }

        @Test func fileFirstS3SecondKeepsArchivingThroughAnOutageThenRestoresAlone() throws {
            let sandbox = try Sandbox()
            let first = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let storage = try S3Services.makeBucket("it-repo2", prefix: "second")
            let proxy = try S3Services.faultProxy(rate: 0)
            defer { proxy.stop() }
            let both = try first.adding([
                "TAILTOWN_REPO2=s3://\(storage.configuration.bucket)/second",
                "TAILTOWN_REPO2_AWS_ENDPOINT_URL=\(proxy.endpoint)", "TAILTOWN_REPO2_AWS_REGION=eu-west-1",
                "TAILTOWN_REPO2_AWS_ACCESS_KEY_ID=\(S3Services.credentials.accessKeyID)",
                "TAILTOWN_REPO2_AWS_SECRET_ACCESS_KEY=integration-secret-key", "TAILTOWN_REPO2_S3_MAX_RETRIES=0",
            ], as: "both.conf")
            let source = try RestoreSource(sandbox: sandbox, tailtown: both)
            defer { try? source.cluster.stop() }
            let walKeys = { Self.fileKeys(first, under: "wal/") }
            let missingFromSecond = { () throws -> Set<String> in walKeys().subtracting(try storage.list(prefix: "wal/")) }

            // Under load: a backup and a dump, each written to both in one pass, byte for byte the same.
            try source.cluster.pgbench(["-i", "-q", "-s", "1"])
            try source.cluster.pgbench(["-c", "2", "-t", "200"])
            try source.commitRows(2)
            try source.backup()
            try sandbox.tailtown(["--config", both.configFile, "dump-push", "--dbname", source.cluster.conninfo]).check()
            for prefix in ["backups/", "dumps/"] {
                let keys = Self.fileKeys(first, under: prefix)
                let copies = Set(try storage.list(prefix: prefix))
                #expect(!keys.isEmpty && keys == copies, "\(prefix): \(keys)")
                for key in keys {
                    let stored = try #require(try storage.readSmallObject(key, limit: 64 << 20))
                    let original = try contents(of: first.repository.root + "/" + key)
                    #expect(original == Data(stored), "\(key)")
                }
            }

            // The second cut off: archiving goes on, PostgreSQL never sees a failure, the copy lags.
            print("backup and dump in both; cutting the second off")
            proxy.setRate(1, faults: ["reset"])
            for _ in 0..<3 {
                try source.commitRows(1)
                try source.archiveAll()
            }
            #expect(try source.cluster.archiveFailures() == 0)
            let lagging = try missingFromSecond()
            #expect(!lagging.isEmpty)
            print("second repository cut off: \(lagging.count) WAL objects wait for it")

            // Back: the copier catches up on its own.
            let noSecond = try sandbox.tailtown(["--config", first.configFile, "check", "--no-connect", "--max-copy-lag", "1s"])
            #expect(noSecond.status != 0 && noSecond.stderr.contains("--max-copy-lag 1s: TAILTOWN_REPO2 is not set"), "\(noSecond.stdout)\(noSecond.stderr)")
            let cutOff = try sandbox.tailtown(["--config", both.configFile, "check", "--no-connect", "--max-copy-lag", "1s"])
            #expect(cutOff.status == 1 && cutOff.stdout.contains("the second repository s3://\(storage.configuration.bucket)/second/ cannot be read"),
                    "\(cutOff.stdout)\(cutOff.stderr)")
            proxy.setRate(0)
            try source.commitRows(3)
            try source.archiveAll()
            try waitUntil("the copier to catch up", seconds: 150, detail: { "\((try? missingFromSecond())?.sorted() ?? [])" }) {
                try missingFromSecond().isEmpty
            }
            let target = try source.timeBetween(6)
            let status = try sandbox.tailtown(["--config", both.configFile, "status"]).check()
            #expect(status.contains("second repository s3://\(storage.configuration.bucket)/second/: up to date"), "\(status)")
            let verified = try sandbox.tailtown(["--config", both.configFile, "verify"])
            #expect(verified.status == 0 && verified.stdout.contains("second repository s3://\(storage.configuration.bucket)/second/:")
                    && verified.stdout.contains("difference: the second lacks 0 objects"), "\(verified.stdout)\(verified.stderr)")

            // The first repository gone: the second alone restores exactly the rows committed up to the target.
            try source.cluster.stop()
            try FileManager.default.removeItem(atPath: first.repository.root)
            let alone = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(), compression: "lz4",
                                                 encrypted: false, extra: ["TAILTOWN_ENCRYPTION_KEY_FILE=\(sandbox.path("tailtown.key"))"])
            try RestoreRun(sandbox: sandbox, tailtown: alone).expectRows(["--to", target], into: "from-second", Array(1...6))
        }

        @Test func refusesASecondRepositoryOfAnotherRepositoryKeyOrPlace() throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let cluster = try PostgresCluster.initialize(in: sandbox, name: "pg15")
            try cluster.start()
            defer { try? cluster.stop() }
            let dump = { (config: String) in
                try sandbox.tailtown(["--config", config, "dump-push", "--dbname", cluster.conninfo, "--database", "postgres"])
            }
            try dump(tailtown.configFile).check()
            // Another repository with the same key, and one with another key.
            let other = try sandbox.makeDirectory("other")
            try dump(try tailtown.adding(["TAILTOWN_REPO=file://\(other)"], as: "other.conf").configFile).check()
            let otherKey = try sandbox.makeDirectory("other-key")
            try sandbox.tailtown(["keygen", sandbox.path("other.key")]).check()
            try dump(try tailtown.adding(["TAILTOWN_REPO=file://\(otherKey)", "TAILTOWN_ENCRYPTION_KEY_FILE=\(sandbox.path("other.key"))"],
                                         as: "other-key.conf").configFile).check()
            let before = try [other, otherKey].map { try FileManager.default.subpathsOfDirectory(atPath: $0).sorted() }

            let segment = try cluster.switchWAL()
            for (index, (second, message)) in [
                ("file://\(other)", "holds another repository"),
                ("file://\(otherKey)", "was made with another key"),
                ("file://\(tailtown.repository.root)/inside", "points at the same place as TAILTOWN_REPO"),
            ].enumerated() {
                let config = try tailtown.adding(["TAILTOWN_REPO2=\(second)"], as: "refused-\(index).conf")
                let refused = try dump(config.configFile)
                #expect(refused.status == 1 && refused.stderr.contains("TAILTOWN_REPO2 (\(second))") && refused.stderr.contains(message),
                        "\(refused.stderr)")
                let push = try config.push(cluster.dataDirectory + "/pg_wal/" + segment, in: cluster.dataDirectory)
                #expect(push.status == 1 && push.stderr.contains("TAILTOWN_REPO2 (\(second))") && push.stderr.contains(message), "\(push.stderr)")
            }
            // Nothing was written to the repositories refused.
            #expect(try [other, otherKey].map { try FileManager.default.subpathsOfDirectory(atPath: $0).sorted() } == before)
        }
    }
}
