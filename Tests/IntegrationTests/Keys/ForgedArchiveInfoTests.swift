import Foundation
import Testing
import PITRNative
import PITRPipeline
import PITRStorage
import PITRSupport

extension PostgreSQLIntegration {
    /// Anyone who may write to the repository puts newer `archive.info.sealed.<n>` records beside the genuine one (random
    /// bytes, a record sealed with a key the key file does not hold, and 2 MiB, more than any metadata): the readers
    /// take the newest record that authenticates, so wal-push, wal-fetch and restore keep working, each warning once of
    /// each forged record by name, and verify reports each (text and --json). On file:// and on moto.
    @Suite struct ForgedArchiveInfoTests {
        @Test func onFile() throws {
            let source = try RestoreSource.onFile()
            try Self.readersPassOverForgedRecords(source, storage: FileStorage(root: source.tailtown.repository.root))
        }

        @Test func onS3() throws {
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket("it-forged-info", prefix: "pg/main")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(),
                                                    compression: "zstd", encrypted: true)
            try Self.readersPassOverForgedRecords(try RestoreSource(sandbox: sandbox, tailtown: tailtown), storage: storage)
        }

        static func readersPassOverForgedRecords(_ source: RestoreSource, storage: Storage) throws {
            let sandbox = source.sandbox, tailtown = source.tailtown
            try source.commitRows(2)
            try source.backup()
            try source.commitRows(2)
            try source.archiveAll()
            // The key rotated and activated: the next push seals archive.info again, as archive.info.sealed.00000001,
            // and the readers read that one (the first is sealed by the retired key).
            let keyFile = sandbox.path("tailtown.key")
            let rotated = try sandbox.tailtown(["keygen", "--rotate", keyFile]).check()
            let second = try #require(rotated.split(separator: " ").dropFirst().first).description
            try sandbox.tailtown(["keygen", "--activate", second, keyFile]).check()
            try source.commitRows(2)
            try source.archiveAll()
            let archiveID = "\(source.cluster.major)-\(try source.cluster.systemIdentifier())"
            let folder = "wal/\(archiveID)/"
            #expect(try storage.list(prefix: folder + "archive.info").sorted() == [folder + "archive.info", folder + "archive.info.sealed.00000001"])

            let random = folder + "archive.info.sealed.00000002", otherKey = folder + "archive.info.sealed.00000003"
            try put(random, try SecureRandom.bytes(300), on: storage)
            let sealed = MemorySink(limit: 1 << 20, object: otherKey)
            _ = try ObjectEncoder(options: ObjectOptions(compression: .none, key: MasterKey(bytes: try SecureRandom.bytes(32))))
                .encode(from: MemorySource(Array("repository-id=0\n".utf8)), to: sealed, as: ObjectIdentity(["archive": archiveID, "file": otherKey]))
            try put(otherKey, sealed.bytes, on: storage)
            // Larger than any metadata a reader reads whole.
            let oversized = folder + "archive.info.sealed.00000004"
            try put(oversized, try SecureRandom.bytes(2 << 20), on: storage)
            let forged = [random, otherKey, oversized].map(storage.describe)
            func expectWarnings(_ result: CommandResult, _ what: String) {
                #expect(result.status == 0, "\(what): \(result.stdout)\(result.stderr)")
                for object in forged {
                    let warnings = result.stderr.components(separatedBy: "\(object) is ignored, as it does not authenticate").count - 1
                    #expect(warnings == 1, "\(what) warns \(warnings) times of \(object): \(result.stderr)")
                }
            }
            // Nothing cached (a new host): each command reads archive.info from the repository.
            func forgetCache() throws { try? FileManager.default.removeItem(atPath: sandbox.cacheFolder) }

            // The archiver goes on (PostgreSQL's own wal-push), and a push and a fetch by hand warn.
            try source.commitRows(2)
            let segment = try source.cluster.switchWAL()
            try source.cluster.waitUntilArchived(segment)
            try forgetCache()
            expectWarnings(try tailtown.push("pg_wal/" + segment, in: source.cluster.dataDirectory), "wal-push")
            let pushed = try contents(of: source.cluster.dataDirectory + "/pg_wal/" + segment)

            try source.cluster.stop()
            try forgetCache()
            let (restored, copy) = try RestoreRun(source: source).run(["--to", "latest", "--start"], into: "restored")
            defer { copy.stop() }
            expectWarnings(restored, "restore")
            #expect(try copy.ids() == Array(1...8))
            // wal-fetch as recovery runs it, in the restored copy.
            try forgetCache()
            expectWarnings(try tailtown.fetch(segment, to: "pg_wal/RECOVERYXLOG", in: copy.directory), "wal-fetch")
            #expect(try contents(of: copy.directory + "/pg_wal/RECOVERYXLOG") == pushed)

            let verified = try sandbox.tailtown(["--config", tailtown.configFile, "verify"])
            #expect(verified.status == 1, "\(verified.stdout)\(verified.stderr)")
            for object in forged {
                #expect(verified.stdout.contains("problem: \(object) does not authenticate ("), "\(verified.stdout)")
            }
            let json = try sandbox.tailtown(["--config", tailtown.configFile, "verify", "--json"])
            for object in forged {
                #expect(json.stdout.contains("{\"kind\":\"unauthenticated_record\",\"subject\":\(object.jsonLiteral)"), "\(json.stdout)")
            }
        }

        /// Stores `bytes` under `key`, as a writer without the key would (readable by the commands, run as postgres).
        static func put(_ key: String, _ bytes: [UInt8], on storage: Storage) throws {
            let upload = try storage.startUpload(key)
            try bytes.withUnsafeBytes { try upload.write($0) }
            #expect(try upload.commit() == .stored)
            if let files = storage as? FileStorage { try Sandbox.giveToPostgres(files.root + "/" + key, mode: 0o600) }
        }
    }
}
