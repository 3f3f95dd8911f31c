import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRNative
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

extension PostgreSQLIntegration {
    /// The server-side way of an incremental backup (PostgreSQL 17 and later) at the library level: a full backup taken by
    /// the binary's backup-push, its stored manifest uploaded (UPLOAD_MANIFEST), BASE_BACKUP ... INCREMENTAL read as any
    /// stream is; and `WALSummaryProbe`'s reasons when the way cannot be taken.
    @Suite struct ServerIncrementalTests {
        /// A cluster archiving into an encrypted repository and its full backup.
        struct Setup {
            let tailtown: Tailtown
            let cluster: PostgresCluster
            let repository: PITRRepository.Repository
            let parent: BackupDescriptor
        }

        /// A cluster of `major` with `summarize_wal` as asked and pgbench tables at scale 2, and its full backup through the binary.
        static func backedUp(major: Int, summarizeWAL: Bool) throws -> Setup {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let cluster = try PostgresCluster.initialize(in: sandbox, name: "primary", major: major)
            try cluster.archive(through: tailtown)
            try cluster.configure([("summarize_wal", summarizeWAL ? "on" : "off"), ("checkpoint_timeout", "1d"), ("max_wal_size", "4GB")])
            try cluster.start()
            try cluster.pgbench(["-i", "-q", "-s", "2"])
            try sandbox.tailtown(["--config", tailtown.configFile, "backup-push", "--dbname", cluster.conninfo]).check()
            let repository = PITRRepository.Repository(storage: FileStorage(root: tailtown.repository.root),
                                                       keyring: try KeyFile.read(at: sandbox.path("tailtown.key")))
            let parent = try #require(try BackupCatalog(repository: repository).list().last)
            return Setup(tailtown: tailtown, cluster: cluster, repository: repository, parent: parent)
        }

        static func replicationConnection(_ cluster: PostgresCluster, user: String = "postgres") throws -> PostgresConnection {
            try PostgresConnection(conninfo: cluster.conninfo + " user=\(user) replication=database")
        }

        /// Summaries on: the probe says usable; the incremental's base.tar holds INCREMENTAL files, its backup_label
        /// names the parent's start, its manifest lists the INCREMENTAL files, and it is a fraction of the full backup.
        @Test(arguments: [17, 18])
        func incrementalOnTopOfAStoredBackup(major: Int) throws {
            let setup = try Self.backedUp(major: major, summarizeWAL: true)
            let (cluster, repository, parent) = (setup.cluster, setup.repository, setup.parent)
            defer { try? cluster.stop() }
            try cluster.pgbench(["-n", "-c", "1", "-t", "300"])

            // A role with REPLICATION and nothing more does it all, the probe included.
            _ = try cluster.query("create role backup login replication")
            let connection = try Self.replicationConnection(cluster, user: "backup")
            defer { connection.close() }
            #expect(try WALSummaryProbe(connection: connection, interruption: nil).verdict(parent: parent) == .usable)
            let stream = try IncrementalBaseBackup.start(BaseBackupStatement(label: "incremental", checkpoint: .fast), parent: parent.name,
                                                         manifest: try parent.manifestSource(in: repository), on: connection, interruption: nil)
            #expect(stream.startLSN > parent.stopLSN)

            let folder = try cluster.sandbox.makeDirectory("incremental")
            var manifest: [UInt8] = []
            var tarBytes = 0
            loop: while true {
                switch try stream.nextItem() {
                case .archive(let name, _):
                    let file = try SystemFile.createExclusive(folder + "/" + name)
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    while case let count = try buffer.withUnsafeMutableBytes({ try stream.read(into: $0) }), count > 0 {
                        try buffer.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                        tarBytes += count
                    }
                case .manifest:
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    while case let count = try buffer.withUnsafeMutableBytes({ try stream.read(into: $0) }), count > 0 {
                        manifest += buffer[0..<count]
                    }
                case .end:
                    break loop
                }
            }
            let stop = try stream.finish()
            #expect(stop.lsn > stream.startLSN)

            let entries = try Command.run("/bin/tar", ["-tf", folder + "/base.tar"]).check().split(separator: "\n")
            let incrementalFiles = entries.filter { $0.split(separator: "/").last?.hasPrefix("INCREMENTAL.") == true }
            #expect(incrementalFiles.count > 10, "\(entries.prefix(20))")
            let label = try Command.run("/bin/tar", ["-xOf", folder + "/base.tar", "backup_label"]).check()
            #expect(label.contains("INCREMENTAL FROM LSN: \(parent.startLSN)") && label.contains("INCREMENTAL FROM TLI: 1"), "\(label)")
            #expect(String(decoding: manifest, as: UTF8.self).contains("/INCREMENTAL."))
            let parentTar = parent.objects.filter { $0.archive == "base.tar" }.reduce(0) { $0 + $1.rawBytes }
            print("PostgreSQL \(major): incremental base.tar \(tarBytes >> 10) KiB against the full \(parentTar >> 10) KiB "
                  + "(\(String(format: "%.1f", 100 * Double(tarBytes) / Double(parentTar))) %), \(incrementalFiles.count) INCREMENTAL files")
            #expect(tarBytes * 2 < parentTar, "the incremental is not much smaller than the full backup")
            // The connection takes the next command.
            #expect(try connection.query("IDENTIFY_SYSTEM").value("timeline") == "1")
            try badManifestsAreRefused(connection, parent: parent.name)
        }

        /// A manifest the server cannot parse is the parent's refusal; a source that fails mid-way ends the COPY with CopyFail
        /// and its own error. The connection takes the next command after each.
        private func badManifestsAreRefused(_ connection: PostgresConnection, parent: String) throws {
            #expect {
                try ManifestUpload.send(BytesSource(Array("{\"PostgreSQL-Backup-Manifest-Version\": 2, \"Files\": [".utf8)), parent: parent,
                                        on: connection, interruption: nil)
            } throws: { error in
                guard case BackupError.incrementalRefused(let named, _) = error else { return false }
                return named == parent
            }
            #expect(try connection.query("IDENTIFY_SYSTEM").value("timeline") == "1")
            #expect(throws: SourceFailure.self) {
                try ManifestUpload.send(FailingAfter(ManifestUpload.chunkSize * 3), parent: parent, on: connection, interruption: nil)
            }
            #expect(try connection.query("IDENTIFY_SYSTEM").value("timeline") == "1")
        }

        /// Summaries off: the probe says so with the how-to line, and the server refuses the incremental before any data,
        /// named as the parent's refusal, the connection still usable. The how-to's reload starts the summarizer; it has no
        /// summaries for the WAL since the parent (removed from pg_wal by then), which the probe and the server both say.
        @Test func summariesOffThenTurnedOnTooLate() throws {
            let setup = try Self.backedUp(major: 18, summarizeWAL: false)
            let (cluster, repository, parent) = (setup.cluster, setup.repository, setup.parent)
            defer { try? cluster.stop() }
            let connection = try Self.replicationConnection(cluster)
            defer { connection.close() }
            let probe = WALSummaryProbe(connection: connection, interruption: nil, catchUpSeconds: 30)
            #expect(try probe.verdict(parent: parent) == .unusable(reason: "summarize_wal is off on the server: \(WALSummaryProbe.howToTurnOn)"))
            try expectRefusal(connection, repository, parent, saying: "WAL summarization")

            // The parent's WAL leaves pg_wal (archived, then two checkpoints), so the summarizer cannot start before it.
            for _ in 0..<2 {
                try cluster.pgbench(["-n", "-c", "1", "-t", "100"])
                try cluster.waitUntilArchived(try cluster.switchWAL())
                _ = try cluster.query("checkpoint")
            }
            _ = try cluster.query("alter system set summarize_wal = on")
            _ = try cluster.query("select pg_reload_conf()")
            try waitUntil("the WAL summarizer to start after a reload", seconds: 30) {
                try cluster.query("select summarizer_pid is not null from pg_get_wal_summarizer_state()") == "t"
            }
            guard case .unusable(let reason) = try probe.verdict(parent: parent) else {
                Issue.record("the probe found summaries for WAL that was gone before summarize_wal was on")
                return
            }
            print("summaries turned on after the parent: \(reason)")
            #expect(reason.contains("do not cover") && reason.contains("backup \(parent.name)"), "\(reason)")
            try expectRefusal(connection, repository, parent, saying: "WAL summaries are required")

            // The fallback's full backup on the same connection.
            let full = try BaseBackupStream(connection: connection, statement: BaseBackupStatement(label: "fallback", checkpoint: .fast), interruption: nil)
            while try full.nextItem() != .end {}
            #expect(try full.finish().lsn > full.startLSN)
        }

        /// A parent on timeline 1 and a server promoted to timeline 2 since: the probe reads the server's history
        /// (TIMELINE_HISTORY) and asks for summaries on both timelines; the copy, made with `pg_basebackup -X none`, has
        /// none for the WAL it replayed from the archive, which the probe and the server both say.
        @Test func parentBeforeAPromotion() throws {
            let setup = try Self.backedUp(major: 17, summarizeWAL: true)
            let copy = try PostgresCluster.baseBackup(of: setup.cluster, name: "copy")
            try setup.cluster.pgbench(["-n", "-c", "1", "-t", "100"])
            try setup.cluster.waitUntilArchived(try setup.cluster.switchWAL())
            try setup.cluster.stop()
            try copy.recover(through: setup.tailtown)
            defer { try? copy.stop() }
            let connection = try Self.replicationConnection(copy)
            defer { connection.close() }
            #expect(try connection.query("IDENTIFY_SYSTEM").value("timeline") == "2")
            guard case .unusable(let reason) = try WALSummaryProbe(connection: connection, interruption: nil).verdict(parent: setup.parent) else {
                Issue.record("the promoted copy has summaries for WAL it replayed from the archive")
                return
            }
            print("parent before a promotion: \(reason)")
            #expect(reason.contains("do not cover") && reason.contains("timeline 1"), "\(reason)")
            try expectRefusal(connection, setup.repository, setup.parent, saying: "WAL summaries are required", timeline: "2")
        }

        /// IncrementalBaseBackup.start on top of `parent` is refused as `incrementalRefused` naming it, with the server's words.
        private func expectRefusal(_ connection: PostgresConnection, _ repository: PITRRepository.Repository, _ parent: BackupDescriptor,
                                   saying words: String, timeline: String = "1") throws {
            #expect {
                _ = try IncrementalBaseBackup.start(BaseBackupStatement(label: "refused", checkpoint: .fast), parent: parent.name,
                                                    manifest: try parent.manifestSource(in: repository), on: connection, interruption: nil)
            } throws: { error in
                guard case BackupError.incrementalRefused(let named, let message) = error else { return false }
                return named == parent.name && message.contains(words) && "\(error)".contains(parent.name)
            }
            #expect(try connection.query("IDENTIFY_SYSTEM").value("timeline") == timeline, "the connection takes the next command")
        }

        /// PostgreSQL 15 has no WAL summaries: the probe says so by major, before asking anything else.
        @Test func probeOnPostgreSQL15SaysTheMajorIsTooOld() throws {
            let cluster = try PostgresCluster.initialize(in: try Sandbox(), name: "old", major: 15)
            try cluster.start()
            defer { try? cluster.stop() }
            let connection = try Self.replicationConnection(cluster)
            defer { connection.close() }
            let parent = BackupDescriptor(name: "parent", label: "x", startLSN: LSN(0x100_0028), stopLSN: LSN(0x200_0000),
                                          startTime: UTCTime(secondsSinceEpoch: 0), stopTime: UTCTime(secondsSinceEpoch: 1),
                                          timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: 1, serverVersion: connection.serverVersion,
                                          segmentSize: 16 << 20, tablespaces: [], compression: .lz4, cipher: "none", keyID: "", objects: [])
            #expect(try WALSummaryProbe(connection: connection, interruption: nil).verdict(parent: parent)
                    == .unusable(reason: "PostgreSQL 15 has no WAL summaries; the server-side way needs PostgreSQL 17 or later"))
        }
    }
}

private struct SourceFailure: Error {}

/// Spaces, then a failure after `count` bytes.
private final class FailingAfter: ByteSource {
    private var remaining: Int
    init(_ count: Int) { remaining = count }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0 else { throw SourceFailure() }
        let count = min(remaining, buffer.count)
        UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]).initializeMemory(as: UInt8.self, repeating: 0x20)
        remaining -= count
        return count
    }
}

/// Bytes in memory as a source.
private final class BytesSource: ByteSource {
    private var bytes: ArraySlice<UInt8>
    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count)
        buffer.copyBytes(from: bytes.prefix(count))
        bytes = bytes.dropFirst(count)
        return count
    }
}
