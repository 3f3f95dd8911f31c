import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRNative
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport

extension PostgreSQLIntegration {
    /// backup-push's bad inputs against a real PostgreSQL 15: each fails with its message and leaves
    /// nothing listed and no backup objects behind.
    @Suite struct BackupFailureTests {
        static func push(_ archived: ArchivedCluster, key: MasterKey? = nil, interruption: InterruptSignal? = nil) throws -> (BackupPush, PITRRepository.Repository) {
            let repository = PITRRepository.Repository(storage: FileStorage(root: archived.tailtown.repository.root), key: key)
            let push = BackupPush(repository: repository, options: ObjectOptions(compression: .zstd, key: key),
                                  interruption: try interruption ?? InterruptSignal(), log: Log(level: .error))
            return (push, repository)
        }

        static func request(_ archived: ArchivedCluster, user: String = "postgres") -> BackupPushRequest {
            var request = BackupPushTests.request(archived, objectSize: 4 << 20)
            request.conninfo += " user=\(user)"  // the later keyword wins
            return request
        }

        static func expectNothingStored(_ repository: PITRRepository.Repository) throws {
            #expect(try repository.storage.list(prefix: "backups/") == [])
            #expect(try BackupCatalog(repository: repository).list().isEmpty)
        }

        @Test func interruptionMidStreamAbortsAndListsNothing() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: false)
            defer { try? archived.stop() }
            try archived.cluster.pgbench(["-i", "-s", "2", "-q"])
            let (interruption, waiter) = try SignalWaiter.make()
            let (push, repository) = try Self.push(archived, interruption: interruption)
            var sent = false
            push.onProgress = { done, _ in
                guard done > 0, !sent else { return }
                sent = true
                #expect(throws: Never.self) {
                    try waiter.interrupt()
                    // The stream goes on once the waiter has passed the signal on, so the push stops at its next check.
                    try waitUntil("the SIGINT to reach InterruptSignal.descriptor", seconds: 60) { interruption.isTriggered }
                }
            }
            #expect(throws: BackupError.interrupted) { try push.run(Self.request(archived)) }
            #expect(sent)
            try Self.expectNothingStored(repository)
            // The server ended the backup: a new one can start.
            let (again, _) = try Self.push(archived)
            #expect(try again.run(Self.request(archived)).objects.isEmpty == false)
        }

        @Test func repositoryLostMidStreamAbortsAndListsNothing() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: false)
            defer { try? archived.stop() }
            try archived.cluster.pgbench(["-i", "-s", "2", "-q"])
            let (push, repository) = try Self.push(archived)
            let backups = archived.tailtown.repository.root + "/backups"
            var removed = false
            // The repository's folder vanishes under the upload: the object in progress cannot be committed.
            push.onProgress = { done, _ in
                if done > 0, !removed { removed = true; try? FileManager.default.removeItem(atPath: backups) }
            }
            let lost = #expect(throws: IOError.self) { try push.run(Self.request(archived)) }
            #expect(lost?.description.contains(backups) == true, "\(String(describing: lost))")
            #expect(removed)
            try Self.expectNothingStored(repository)
        }

        @Test func brokenArchivingIsReportedAndNothingIsListed() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: false)
            defer { try? archived.stop() }
            try archived.cluster.query("ALTER SYSTEM SET archive_command = 'false'")
            try archived.cluster.query("SELECT pg_reload_conf()")
            // The archiver has taken the new command once it fails on a segment completed after the reload.
            try archived.cluster.query("CREATE TABLE after_reload ()")
            _ = try archived.cluster.switchWAL()
            try waitUntil("the archiver to fail with archive_command = 'false'", seconds: 60) { try archived.cluster.archiveFailures() > 0 }
            let (push, repository) = try Self.push(archived)
            var request = Self.request(archived)
            request.walTimeoutSeconds = 8
            #expect {
                try push.run(request)
            } throws: { error in
                guard case BackupError.walNotArchived(_, _, let seconds, let failure) = error else { return false }
                return seconds == 8 && failure != nil && (error as? BackupError)!.description.contains("archive_command")
            }
            try Self.expectNothingStored(repository)
        }

        @Test func roleWithoutReplicationIsRefusedWithAHint() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: false)
            defer { try? archived.stop() }
            try archived.cluster.query("CREATE ROLE plain LOGIN")
            let (push, repository) = try Self.push(archived)
            #expect {
                try push.run(Self.request(archived, user: "plain"))
            } throws: { error in
                guard case BackupError.cannotConnect(let message) = error else { return false }
                return message.contains("replication") && (error as? BackupError)!.description.contains("WITH REPLICATION")
            }
            try Self.expectNothingStored(repository)
        }

        @Test func exhaustedWALSendersAreReportedWithAHint() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: false)
            defer { try? archived.stop() }
            let senders = Int(try archived.cluster.query("SHOW max_wal_senders")) ?? 10
            let request = Self.request(archived)
            let held = try (0..<senders).map { _ in try PostgresConnection(conninfo: request.conninfo + " replication=database") }
            let (push, repository) = try Self.push(archived)
            #expect {
                try push.run(request)
            } throws: { error in
                (error as? BackupError)?.description.contains("max_wal_senders above") == true
            }
            held.forEach { $0.close() }
            try Self.expectNothingStored(repository)
        }

        @Test func cannotConnectNamesTheSocketAndHints() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: false)
            try archived.stop()
            let (push, repository) = try Self.push(archived)
            #expect {
                try push.run(Self.request(archived))
            } throws: { error in
                let text = (error as? BackupError)?.description ?? ""
                return text.contains(archived.sandbox.root) && text.contains("is the server running")
            }
            try Self.expectNothingStored(repository)
        }

        @Test func encryptedBackupRestoresWithTheKeyAndVerifies() throws {
            let archived = try ArchivedCluster.make(compression: "zstd", encrypted: true)
            defer { try? archived.stop() }
            let key = try KeyFile.read(at: archived.sandbox.path("tailtown.key")).active
            let (push, repository) = try Self.push(archived, key: key)
            let descriptor = try push.run(Self.request(archived))
            #expect(descriptor.cipher == "aes-256-gcm" && descriptor.keyID == key.keyIDHex && descriptor.compression == .zstd)
            let restored = try BackupPushTests.extract(descriptor, from: repository, into: archived.sandbox.path("restored"))
            let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup"), ["-n", restored])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            // Without the key the objects do not decode.
            let object = BackupDescriptor.objectKey(backup: descriptor.name, object: descriptor.objects[0].name)
            let sink = try SystemFile.createExclusive(archived.sandbox.path("nokey.out"))
            let keyless = #expect(throws: ObjectFormatError.self) {
                _ = try ObjectDecoder(key: nil).decode(from: try repository.storage.openForReading(object), to: sink, object: object,
                                                 identity: descriptor.objectIdentity(of: descriptor.objects[0]))
            }
            guard case .encryptedButNoKey(_, let keyID) = keyless else { Issue.record("got \(String(describing: keyless))"); return }
            #expect(keyID == key.keyIDHex)
        }
    }
}
