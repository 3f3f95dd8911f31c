import Foundation
import Testing
import PITRStorage
import PITRWAL
import TestSupport

extension PostgreSQLIntegration {
    /// TAILTOWN_REPO2, as processes against real PostgreSQL clusters (every supported major for the main proof, 15
    /// elsewhere): a file:// first repository and an s3:// second (moto, behind the fault proxy so that it can be cut
    /// off), objects failing their checks in the first, and the second repositories that are refused (one whose metadata
    /// differs from the first's too: never replaced).
    @Suite struct SecondRepositoryTests {
        /// The keys under `prefix` of the file:// repository at `root`, as the object keys of the second would be.
        static func fileKeys(_ root: String, under prefix: String) -> Set<String> {
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

        @Test(arguments: PostgreSQL.supportedMajors)
        func fileFirstS3SecondKeepsArchivingThroughAnOutageThenRestoresAlone(major: Int) throws {
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
            let source = try RestoreSource(sandbox: sandbox, tailtown: both, major: major)
            defer { try? source.cluster.stop() }
            let walKeys = { Self.fileKeys(first.repository.root, under: "wal/") }
            let missingFromSecond = { () throws -> Set<String> in walKeys().subtracting(try storage.list(prefix: "wal/")) }

            // Under load: a backup and a dump, each written to both in one pass, byte for byte the same.
            try source.cluster.pgbench(["-i", "-q", "-s", "1"])
            try source.cluster.pgbench(["-c", "2", "-t", "200"])
            try source.commitRows(2)
            try source.backup()
            try sandbox.tailtown(["--config", both.configFile, "dump-push", "--dbname", source.cluster.conninfo,
                                 "--pg-bin", try PostgreSQL.binDirectory(major: major)]).check()
            for prefix in ["backups/", "dumps/"] {
                let keys = Self.fileKeys(first.repository.root, under: prefix)
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
            // --json: the first's report, and the second's beside it with the difference.
            let verifiedJSON = try sandbox.tailtown(["--config", both.configFile, "verify", "--json"])
            let document = try #require(try JSONSerialization.jsonObject(with: Data(verifiedJSON.stdout.utf8)) as? [String: Any], "\(verifiedJSON.stdout)")
            let secondPart = try #require(document["second"] as? [String: Any], "\(verifiedJSON.stdout)")
            let secondReport = secondPart["report"] as? [String: Any]
            let difference = secondPart["difference"] as? [String: [String: Any]]
            #expect(verifiedJSON.status == 0 && document["ok"] as? Bool == true && secondReport?["ok"] as? Bool == true, "\(verifiedJSON.stdout)")
            #expect(secondPart["repository"] as? String == "s3://\(storage.configuration.bucket)/second/", "\(verifiedJSON.stdout)")
            #expect(secondReport?["wal_files"] as? Int == document["wal_files"] as? Int && secondReport?["backups"] as? Int == 1, "\(verifiedJSON.stdout)")
            #expect(difference?["second_lacks"]?["objects"] as? Int == 0 && difference?["first_lacks"]?["objects"] as? Int == 0, "\(verifiedJSON.stdout)")

            // The first repository gone: the second alone restores exactly the rows committed up to the target.
            try source.cluster.stop()
            try FileManager.default.removeItem(atPath: first.repository.root)
            let alone = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(), compression: "lz4",
                                                 encrypted: false, extra: ["TAILTOWN_ENCRYPTION_KEY_FILE=\(sandbox.path("tailtown.key"))"])
            try RestoreRun(sandbox: sandbox, tailtown: alone, major: major).expectRows(["--to", target], into: "from-second", Array(1...6))
        }

        /// Objects of the first that fail their checks (bytes altered, another key id, cut short) are read from the second,
        /// with a warning naming both copies; the restore holds exactly the rows committed up to the target.
        @Test func objectsFailingTheirChecksInTheFirstAreReadFromTheSecond() throws {
            let sandbox = try Sandbox()
            let first = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let secondRoot = try sandbox.makeDirectory("second")
            let both = try first.adding(["TAILTOWN_REPO2=file://\(secondRoot)"], as: "both.conf")
            let source = try RestoreSource(sandbox: sandbox, tailtown: both)
            defer { try? source.cluster.stop() }
            try source.commitRows(2)
            try source.backup()
            try source.commitRows(3)
            try source.archiveAll()
            let target = try source.timeBetween(4)
            try source.commitRows(1)
            try source.archiveAll()
            let walKeys = { (root: String) in Self.fileKeys(root, under: "wal/") }
            try waitUntil("the copier to copy every WAL object", seconds: 120,
                          detail: { "\(walKeys(first.repository.root).subtracting(walKeys(secondRoot)).sorted())" }) {
                walKeys(first.repository.root).isSubset(of: walKeys(secondRoot))
            }
            try source.cluster.stop()

            // In the first: the backup's largest piece altered in its middle; every WAL segment altered, given another key
            // id, or cut short, in turn.
            let root = first.repository.root
            let pieces = try Self.fileKeys(root, under: "backups/").map { (key: $0, size: try contents(of: root + "/" + $0).count) }
            let piece = try #require(pieces.max { $0.size < $1.size }).key
            var bytes = try contents(of: root + "/" + piece)
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: root + "/" + piece))
            let segments = walKeys(root).filter { $0.split(separator: "/").last?.count == 24 }.sorted()
            #expect(segments.count >= 3, "\(segments)")
            for (index, segment) in segments.enumerated() {
                var bytes = try contents(of: root + "/" + segment)
                switch index % 3 {
                case 0: bytes[bytes.count / 2] ^= 0xFF
                case 1: bytes.replaceSubrange(8..<16, with: Data(repeating: 0xAB, count: 8))
                default: bytes = bytes.prefix(bytes.count / 2)
                }
                try bytes.write(to: URL(fileURLWithPath: root + "/" + segment))
            }

            let (restored, copy) = try RestoreRun(sandbox: sandbox, tailtown: both).run(["--to", target, "--start"], into: "restored")
            defer { copy.stop() }
            #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
            #expect(restored.stderr.contains("object file://\(root)/\(piece) failed authentication")
                    && restored.stderr.contains("read from file://\(secondRoot)/\(piece) instead"), "\(restored.stderr)")
            #expect(try copy.ids() == [1, 2, 3, 4])
            // The restore staged the plan's segments from the second's copies instead of giving up at the first damaged one.
            #expect(!restored.stderr.contains("before recovery failed"), "\(restored.stderr)")
            // Recovery's wal-fetch read from the second what the restore did not stage, with a warning naming it.
            let serverLog = try String(contentsOfFile: copy.directory + ".postgresql.log", encoding: .utf8)
            #expect(serverLog.contains("fetched from the second repository file://\(secondRoot)"), "\(serverLog)")
            #expect(!serverLog.contains("is missing from"), "\(serverLog)")
        }

        /// A backup, a dump and WAL made before TAILTOWN_REPO2 was set: status counts them in the copy's lag, and `delete
        /// --confirm` copies them to the second, after which the second alone restores.
        @Test func deleteCopiesWhatTheSecondMissed() throws {
            let sandbox = try Sandbox()
            let first = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let source = try RestoreSource(sandbox: sandbox, tailtown: first)
            defer { try? source.cluster.stop() }
            try source.commitRows(2)
            try source.backup()
            try sandbox.tailtown(["--config", first.configFile, "dump-push", "--dbname", source.cluster.conninfo, "--database", "postgres"]).check()
            try source.commitRows(2)
            try source.archiveAll()
            let target = try source.timeBetween(3)
            try source.cluster.stop()

            let secondRoot = try sandbox.makeDirectory("second")
            let both = try first.adding(["TAILTOWN_REPO2=file://\(secondRoot)"], as: "both.conf")
            let keys = { (root: String) in Self.fileKeys(root, under: "") }
            let lagging = try sandbox.tailtown(["--config", both.configFile, "status"]).check()
            #expect(lagging.contains("second repository file://\(secondRoot): ") && lagging.contains("not copied yet"), "\(lagging)")
            let dryRun = try sandbox.tailtown(["--config", both.configFile, "delete"]).check()
            #expect(dryRun.contains("the second repository file://\(secondRoot) lacks") && dryRun.contains("not set up yet")
                    && !keys(secondRoot).contains { $0.hasPrefix("backups/") },
                    "\(dryRun)")
            let deleted = try sandbox.tailtown(["--config", both.configFile, "delete", "--confirm"]).check()
            #expect(deleted.contains("to the second repository"), "\(deleted)")
            #expect(keys(first.repository.root).isSubset(of: keys(secondRoot)),
                    "\(keys(first.repository.root).subtracting(keys(secondRoot)).sorted())")
            #expect(keys(secondRoot).contains { $0.hasPrefix("backups/") } && keys(secondRoot).contains { $0.hasPrefix("dumps/") })
            let caughtUp = try sandbox.tailtown(["--config", both.configFile, "status"]).check()
            #expect(caughtUp.contains("second repository file://\(secondRoot): up to date"), "\(caughtUp)")

            // The first gone: the second alone restores exactly the rows up to the target.
            try FileManager.default.removeItem(atPath: first.repository.root)
            let alone = try first.adding(["TAILTOWN_REPO=file://\(secondRoot)"], as: "alone.conf")
            try RestoreRun(sandbox: sandbox, tailtown: alone).expectRows(["--to", target], into: "from-second", [1, 2, 3])
        }

        /// A second set up but lacking an older backup and dump run that TAILTOWN_RETAIN=daily=1 deletes, and the newer
        /// ones it keeps (their writes to the second lost, as a failed mirror would): `delete --confirm` copies only what
        /// the policy keeps, says how many objects it did not copy, and the dry run says the same; both repositories
        /// then hold the same objects.
        @Test func deleteDoesNotCopyWhatThePolicyDeletes() throws {
            let sandbox = try Sandbox()
            let first = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let source = try RestoreSource(sandbox: sandbox, tailtown: first)
            defer { try? source.cluster.stop() }
            let dump = { try sandbox.tailtown(["--config", first.configFile, "dump-push", "--dbname", source.cluster.conninfo, "--database", "postgres"]).check() }
            for round in 0..<2 {
                if round > 0 { sleep(1) }  // dump runs are named by the second they start
                try source.commitRows(2)
                try source.archiveAll()
                try source.backup(["--type", "full"])
                try dump()
            }
            try source.commitRows(1)
            try source.archiveAll()
            try source.cluster.stop()

            // The second: a copy of the first without its backups, dumps and WAL files (its metadata only).
            let root = first.repository.root
            let secondRoot = sandbox.path("second")
            try FileManager.default.copyItem(atPath: root, toPath: secondRoot)
            try Sandbox.giveTreeToPostgres(secondRoot, mode: 0o700)
            for key in Self.fileKeys(secondRoot, under: "") {
                let name = key.split(separator: "/").last.map(String.init) ?? key
                let walFile = key.hasPrefix("wal/") && (try? WALFileName(parsing: name)) != nil
                if key.hasPrefix("backups/") || key.hasPrefix("dumps/") || walFile { try FileManager.default.removeItem(atPath: secondRoot + "/" + key) }
            }
            let folders = { (prefix: String) in try FileManager.default.contentsOfDirectory(atPath: root + "/" + prefix).filter { !$0.hasPrefix(".") }.sorted() }
            let backups = try folders("backups"), runs = try folders("dumps")
            #expect(backups.count == 2 && runs.count == 2, "\(backups) \(runs)")
            let both = try first.adding(["TAILTOWN_REPO2=file://\(secondRoot)", "TAILTOWN_RETAIN=daily=1"], as: "both.conf")
            let keys = { (root: String) in Self.fileKeys(root, under: "") }
            let firstBefore = keys(root), secondBefore = keys(secondRoot)
            let catchUp = { (output: String) in output.split(separator: "\n").filter { $0.hasPrefix("copy    ") || $0.hasPrefix("skip    ") } }

            let dryRun = try sandbox.tailtown(["--config", both.configFile, "delete"]).check()
            #expect(keys(secondRoot) == secondBefore && keys(root) == firstBefore)
            let deleted = try sandbox.tailtown(["--config", both.configFile, "delete", "--confirm"]).check()
            #expect(catchUp(dryRun).count == 2 && catchUp(dryRun) == catchUp(deleted), "\(dryRun)\n\(deleted)")
            print("delete's catch-up: \(catchUp(deleted))")

            // Copied: only the kept backup, its WAL and the kept run; skipped: all the first deleted (the older backup, the
            // WAL only it needed, the older run). Both now hold the same objects.
            let copied = keys(secondRoot).subtracting(secondBefore), gone = firstBefore.subtracting(keys(root))
            #expect(keys(secondRoot) == keys(root), "\(keys(secondRoot).symmetricDifference(keys(root)).sorted())")
            #expect(copied.contains { $0.hasPrefix("backups/\(backups[1])/") } && copied.contains { $0.hasPrefix("dumps/\(runs[1])/") }
                    && !copied.contains { $0.hasPrefix("backups/\(backups[0])/") || $0.hasPrefix("dumps/\(runs[0])/") }, "\(copied.sorted())")
            #expect(gone.contains { $0.hasPrefix("backups/\(backups[0])/") } && gone.contains { $0.hasPrefix("dumps/\(runs[0])/") }
                    && gone.contains { $0.hasPrefix("wal/") }, "\(gone.sorted())")
            #expect(deleted.contains("copy    \(copied.count) objects (") && deleted.contains("lacks\n"), "\(copied.count): \(deleted)")
            #expect(deleted.contains("skip    \(gone.count) objects (") && deleted.contains("that the policies delete from the first: not copied"),
                    "\(gone.count): \(deleted)")
            #expect(!deleted.contains("objects the second repository does not hold yet"), "\(deleted)")
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
            // A second set up from this repository (its marker and log copied, as setUp copies them) whose marker was
            // rewritten since: the two have diverged.
            let diverged = try sandbox.makeDirectory("diverged")
            try Command.runAsPostgres("/bin/cp", ["-a", tailtown.repository.marker, tailtown.repository.root + "/log", diverged]).check()
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: diverged + "/tailtown-pitr.repo"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("written-by=someone else\n".utf8))
            try handle.close()
            let marker = try contents(of: diverged + "/tailtown-pitr.repo")
            let before = try [other, otherKey, diverged].map { try FileManager.default.subpathsOfDirectory(atPath: $0).sorted() }

            let segment = try cluster.switchWAL()
            for (index, (second, message)) in [
                ("file://\(other)", "holds another repository"),
                ("file://\(otherKey)", "was made with another key"),
                ("file://\(tailtown.repository.root)/inside", "points at the same place as TAILTOWN_REPO"),
                ("file://\(diverged)", "holds file://\(diverged)/tailtown-pitr.repo, which differs from file://\(tailtown.repository.root)/tailtown-pitr.repo "
                    + "of which it should be a copy"),
            ].enumerated() {
                let config = try tailtown.adding(["TAILTOWN_REPO2=\(second)"], as: "refused-\(index).conf")
                let refused = try dump(config.configFile)
                #expect(refused.status == 1 && refused.stderr.contains("TAILTOWN_REPO2 (\(second))") && refused.stderr.contains(message),
                        "\(refused.stderr)")
                let push = try config.push(cluster.dataDirectory + "/pg_wal/" + segment, in: cluster.dataDirectory)
                #expect(push.status == 1 && push.stderr.contains("TAILTOWN_REPO2 (\(second))") && push.stderr.contains(message), "\(push.stderr)")
            }
            // Nothing was written to the repositories refused.
            #expect(try [other, otherKey, diverged].map { try FileManager.default.subpathsOfDirectory(atPath: $0).sorted() } == before)
            #expect(try contents(of: diverged + "/tailtown-pitr.repo") == marker, "the diverged marker is left as it is")
        }
    }
}
