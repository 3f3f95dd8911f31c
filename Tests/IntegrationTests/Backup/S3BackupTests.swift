import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport

extension PostgreSQLIntegration {
    /// backup-push into an s3:// repository on moto, as the file:// tests do it: bounded objects sent
    /// as multipart uploads, extracted, checked with pg_verifybackup and recovered from; and a
    /// backup-push killed mid-stream that leaves nothing visible, is never listed, and whose parts a
    /// later backup aborts once they are old enough.
    @Suite struct S3Backup {
        /// A cluster archiving through tailtown-pitr into a fresh bucket (prefix "pg"), with a
        /// segment archived so that the repository knows the cluster.
        static func makeCluster(_ hint: String, extra: [String] = []) throws -> (ArchivedCluster, S3Storage) {
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket(hint, prefix: "pg")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(),
                                                    compression: "lz4", encrypted: true, extra: extra)
            return (try ArchivedCluster.make(in: sandbox, tailtown: tailtown), storage)
        }

        /// `storage`'s bucket and prefix with another part size.
        static func storage(_ storage: S3Storage, partSize: Int) throws -> S3Storage {
            var configuration = storage.configuration
            configuration.partSize = partSize
            return try S3Storage(configuration: configuration, log: Log(level: .error))
        }

        @Test func backupInBoundedMultipartObjectsVerifiesAndRecovers() throws {
            let (archived, bucket) = try Self.makeCluster("it-backup")
            defer { try? archived.stop() }
            let tablespace = try BackupPushTests.addTablespaceAndData(archived)
            let partSize = S3Configuration.minimumPartSize
            let storage = try Self.storage(bucket, partSize: partSize)
            let key = try KeyFile.read(at: archived.sandbox.path("tailtown.key")).active
            let repository = PITRRepository.Repository(storage: storage, key: key)
            // No compression: each object's stored size is its raw size plus the framing, so that
            // 12 MiB objects are sure to span several 5 MiB parts.
            let push = BackupPush(repository: repository, options: ObjectOptions(compression: .none, key: key),
                                  interruption: try InterruptSignal(), log: Log(level: .warning))
            let started = Date()
            let descriptor = try push.run(BackupPushTests.request(archived, objectSize: 12 << 20))
            print("backup-push to s3:// (moto): \(descriptor.rawBytes >> 20) MiB in \(descriptor.objects.count) objects, "
                  + "\(String(format: "%.1f", Date().timeIntervalSince(started))) s")

            #expect(descriptor.tablespaces.map(\.location) == [tablespace])
            #expect(descriptor.objects.filter { $0.archive == "base.tar" }.count > 1, "base.tar is cut into several objects")
            #expect(descriptor.objects.contains { $0.archive == "\(descriptor.tablespaces[0].oid).tar" })
            var multipart = 0
            for object in descriptor.objects {
                let parts = try S3BucketInspection.partCount(storage, key: BackupDescriptor.objectKey(backup: descriptor.name, object: object.name))
                let expected = object.storedBytes > partSize ? (object.storedBytes + partSize - 1) / partSize : 0
                #expect(parts == expected, "\(object.name): \(object.storedBytes) bytes stored in \(parts) parts")
                if parts > 1 { multipart += 1 }
            }
            #expect(multipart > 1, "several objects went up as multipart uploads")
            #expect(try S3BucketInspection.pendingUploads(storage, under: "backups/") == [])
            #expect(try BackupCatalog(repository: repository).list() == [descriptor])

            let restored = try BackupPushTests.extract(descriptor, from: repository, into: archived.sandbox.path("restored"))
            let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup"), ["-n", restored])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            let expected = try archived.cluster.query(BackupPushTests.fingerprintSQL)
            #expect(try BackupPushTests.recoveredFingerprint(of: "restored", in: archived) == expected)
        }

        /// `restore` of a backup in many pieces, each read in several ranges, with the next piece read ahead: through
        /// transient faults (cut answers among them) every byte still comes back and is checked against the
        /// manifest; with a connection that stays cut past the retries it fails with one line naming the object.
        @Test func restoreOfManyPiecesThroughFaultsChecksEveryByteOrFailsCleanly() throws {
            let (archived, bucket) = try Self.makeCluster("it-restore-pieces")
            defer { try? archived.stop() }
            try archived.cluster.pgbench(["-i", "-s", "2", "-q"])
            let key = try KeyFile.read(at: archived.sandbox.path("tailtown.key")).active
            let repository = PITRRepository.Repository(storage: bucket, key: key)
            let push = BackupPush(repository: repository, options: ObjectOptions(compression: .none, key: key),
                                  interruption: try InterruptSignal(), log: Log(level: .warning))
            let descriptor = try push.run(BackupPushTests.request(archived, objectSize: 6 << 20))
            let pieces = descriptor.objects.filter { $0.archive == "base.tar" }.count
            #expect(pieces > 2, "base.tar in \(pieces) pieces")

            let proxy = try S3Services.faultProxy(rate: 0)
            defer { proxy.stop() }
            let faulty = try S3Services.configure(in: archived.sandbox, storage: bucket, endpoint: proxy.endpoint, compression: "lz4", encrypted: false,
                                                  extra: ["TAILTOWN_ENCRYPTION_KEY_FILE=\(archived.sandbox.path("tailtown.key"))", "TAILTOWN_S3_READ_SIZE=1MiB", "TAILTOWN_PREFETCH=0",
                                                          "TAILTOWN_S3_MAX_RETRIES=10"])
            let restore = { (target: String, config: String) in
                try archived.sandbox.tailtown(["--config", config, "restore", "--immediate", "--backup", descriptor.name, "--target-dir", archived.sandbox.path(target)])
            }
            proxy.setRate(0.15, faults: ["cut", "reset", "503", "resetafter"])
            let restored = try restore("restored", faulty.configFile)
            #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
            #expect(restored.stdout.contains("base.tar: \(pieces) pieces") && restored.stdout.contains("every restored file matches backup_manifest"),
                    "\(restored.stdout)")
            let log = try proxy.log()
            let cuts = log.filter { $0.fault == "cut" && $0.path.contains("/base.tar.") }.count
            print("restore of \(pieces) pieces through faults: \(log.filter { $0.fault != "pass" }.count) faults in \(log.count) requests, \(cuts) pieces' answers cut")
            #expect(log.contains { $0.fault != "pass" && $0.path.contains("/base.tar.") }, "no fault hit a piece")
            // Checked again from outside, against the backup's own manifest (restore rewrote only these files).
            let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup"),
                                                   ["-n", "-i", "postgresql.auto.conf", "-i", "recovery.signal", archived.sandbox.path("restored")])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

            // The planning and the backup_manifest pass; from the first piece on, every attempt is reset.
            let firstPiece = try #require(log.firstIndex { $0.path.contains("/base.tar.") })
            let beforePieces = log[..<firstPiece].count
            proxy.setRate(0)
            proxy.queue(Array(repeating: "pass", count: beforePieces) + Array(repeating: "reset", count: 60))
            let failed = try restore("failed", faulty.adding(["TAILTOWN_S3_MAX_RETRIES=2"], as: "two-retries.conf").configFile)
            #expect(failed.status != 0)
            let errors = failed.stderr.split(separator: "\n").filter { $0.contains("error") }
            #expect(errors.count == 1 && errors[0].contains("/backups/\(descriptor.name)/base.tar."), "\(failed.stderr)")
            #expect(FileManager.default.fileExists(atPath: archived.sandbox.path("failed") + "/tailtown-restore.in-progress"),
                    "the interrupted restore is marked as such")
        }

        @Test func killedMidStreamLeavesNoVisibleObjectAndListsNothing() throws {
            // Small parts: the upload of base.tar.0000 is a multipart upload from its sixth MiB on.
            let (archived, storage) = try Self.makeCluster("it-backup-kill", extra: ["TAILTOWN_S3_PART_SIZE=5MiB"])
            defer { try? archived.stop() }
            try archived.cluster.pgbench(["-i", "-s", "20", "-q"])
            // Run as root (so that the kill reaches tailtown-pitr itself), with root's own copy of the config: a config
            // file holding a secret (AWS_SECRET_ACCESS_KEY) must be owned by the user running the command or root.
            let rootConfig = archived.sandbox.path("root-s3.conf")
            try FileManager.default.copyItem(atPath: archived.tailtown.configFile, toPath: rootConfig)
            #expect(chown(rootConfig, getuid(), getgid()) == 0 && chmod(rootConfig, 0o600) == 0)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: archived.sandbox.binary)
            process.arguments = ["--config", rootConfig, "backup-push", "--dbname", archived.cluster.conninfo]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try waitUntil("a multipart upload under backups/", seconds: 120) {
                try !S3BucketInspection.pendingUploads(storage, under: "backups/").isEmpty || !process.isRunning
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)

            // Only its lease, which lets the next backup-push on this machine remove what it left.
            #expect(try storage.list(prefix: "backups/").filter { !$0.hasSuffix("/running") } == [], "no object of the killed backup is visible")
            let list = { try Command.run(archived.sandbox.binary, ["--config", rootConfig, "backup-list"]).check() }
            #expect(try list().split(separator: "\n").count == 1, "only the header")
            // The parts already sent stay on S3 until an abort or a lifecycle rule (docs/s3.md).
            let pending = try S3BucketInspection.pendingUploads(storage, under: "backups/")
            #expect(pending.count == 1 && pending.allSatisfy { $0.hasSuffix("/base.tar.0000") }, "\(pending)")

            // The server let go of the killed backup: the next one succeeds, is the only one listed, and
            // aborts the upload left behind first. moto dates every upload 2010-11-10, so that the age
            // check (a day by default) is covered by the unit tests of S3PendingUpload instead.
            let key = try KeyFile.read(at: archived.sandbox.path("tailtown.key")).active
            let push = BackupPush(repository: PITRRepository.Repository(storage: storage, key: key), options: ObjectOptions(compression: .lz4, key: key),
                                  interruption: try InterruptSignal(), log: Log(level: .error))
            var request = BackupPushRequest()
            request.conninfo = archived.cluster.conninfo
            request.abandonedUploadSeconds = 0
            let descriptor = try push.run(request)
            #expect(try S3BucketInspection.pendingUploads(storage, under: "backups/") == [])
            #expect(try storage.pendingUploads(under: "backups/") == [], "the driver's own listing agrees")
            let table = try list()
            #expect(table.split(separator: "\n").count == 2 && table.contains(descriptor.name), "\(table)")
        }
    }
}
