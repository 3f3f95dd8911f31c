import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRRepository
@testable import PITRStorage

extension PostgreSQLIntegration {
    /// `backup-push --type incremental` as a process against a real cluster: what it stores, and what a killed one leaves.
    @Suite struct IncrementalBackupTests {
        /// One backup as `backup-list --json` shows it.
        struct Listed {
            let name: String
            let rawBytes: Int
            let storedBytes: Int
            /// The tar archives' bytes, stored (the manifest and block checksums apart).
            let archiveStoredBytes: Int

            static func all(_ archived: ArchivedCluster) throws -> [Listed] {
                let json = try BackupCommandTests.tailtown(archived, ["backup-list", "--json"]).check()
                let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
                return parsed.map { backup in
                    let objects = backup["objects"] as? [[String: Any]] ?? []
                    let archives = objects.filter { ($0["archive"] as? String ?? "").hasSuffix(".tar") }
                    return Listed(name: backup["name"] as? String ?? "", rawBytes: backup["raw_bytes"] as? Int ?? 0,
                                  storedBytes: backup["stored_bytes"] as? Int ?? 0,
                                  archiveStoredBytes: archives.reduce(0) { $0 + ($1["stored_bytes"] as? Int ?? 0) })
                }
            }
        }

        static func push(_ archived: ArchivedCluster, _ type: String) throws -> String {
            try BackupCommandTests.tailtown(archived, ["backup-push", "--dbname", archived.cluster.conninfo, "--type", type]).check()
        }

        /// Changes `fraction` of pgbench_accounts' blocks, a contiguous run from its first.
        static func touch(_ archived: ArchivedCluster, fraction: Double) throws {
            let pages = Int(try archived.cluster.query("select pg_relation_size('pgbench_accounts') / 8192")) ?? 0
            let changed = max(1, Int(Double(pages) * fraction))
            _ = try archived.cluster.query("update pgbench_accounts set filler = md5(aid::text) where (ctid::text::point)[0] < \(changed)")
            _ = try archived.cluster.query("checkpoint")
        }

        @Test func anIncrementalStoresOnlyWhatChanged() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: true)
            defer { try? archived.stop() }
            try archived.cluster.pgbench(["-i", "-s", "10", "-q"])
            let full = try Self.push(archived, "full")
            #expect(full.contains(": full, "), "\(full)")
            // 1% of the cluster's relation blocks: pgbench_accounts holds nearly all of them.
            try Self.touch(archived, fraction: 0.01)
            let incremental = try Self.push(archived, "incremental")
            let backups = try Listed.all(archived)
            #expect(backups.count == 2)
            #expect(incremental.contains(": incremental on \(backups[0].name), "), "\(incremental)")
            let ratio = Double(backups[1].storedBytes) / Double(backups[0].storedBytes)
            let rawRatio = Double(backups[1].rawBytes) / Double(backups[0].rawBytes)
            print("incremental after 1% of the blocks changed: \(backups[1].storedBytes) bytes stored against the full's \(backups[0].storedBytes) (\(ratio)), raw \(rawRatio)")
            #expect(ratio <= 0.05, "an incremental is a full copy in disguise: \(ratio) of the full backup's bytes")
            #expect(rawRatio <= 0.05)
            // A second incremental right after stores next to nothing beyond the per-file headers.
            _ = try Self.push(archived, "incremental")
            let third = try Listed.all(archived)[2]
            #expect(third.archiveStoredBytes < backups[1].archiveStoredBytes / 2)
        }

        /// On 17 and later with `summarize_wal` on, the server sends only what changed; with it off, the block-compare
        /// way says why and how to turn it on.
        @Test(arguments: [(17, true), (18, true), (18, false)])
        func theServerSideWayWhereSummariesAreOn(major: Int, summaries: Bool) throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: true, major: major, settings: [("summarize_wal", summaries ? "on" : "off")])
            defer { try? archived.stop() }
            try archived.cluster.pgbench(["-i", "-s", "5", "-q"])
            _ = try Self.push(archived, "full")
            try Self.touch(archived, fraction: 0.01)
            let result = try BackupCommandTests.tailtown(archived, ["backup-push", "--dbname", archived.cluster.conninfo, "--type", "incremental"])
            #expect(result.status == 0, "\(result.stderr)")
            let backups = try Listed.all(archived)
            #expect(Double(backups[1].archiveStoredBytes) < 0.1 * Double(backups[0].archiveStoredBytes))
            let key = try KeyFile.read(at: archived.sandbox.path("tailtown.key")).active
            let repository = PITRRepository.Repository(storage: FileStorage(root: archived.tailtown.repository.root), key: key)
            let descriptor = try #require(try BackupCatalog(repository: repository).list().last)
            #expect(descriptor.type == .incremental && descriptor.parent == backups[0].name)
            let restored = try BackupPushTests.extract(descriptor, from: repository, into: archived.sandbox.path("stored"))
            let label = try String(contentsOfFile: restored + "/backup_label", encoding: .utf8)
            if summaries {
                #expect(result.stderr.contains("the server-side way"), "\(result.stderr)")
                #expect(descriptor.detection == .summaries)
                #expect(label.contains("INCREMENTAL FROM LSN: "), "\(label)")
            } else {
                #expect(result.stderr.contains("by block compare") && result.stderr.contains("ALTER SYSTEM SET summarize_wal = on"), "\(result.stderr)")
                #expect(descriptor.detection == .blockCompare)
                #expect(!label.contains("INCREMENTAL"), "\(label)")
            }
        }

        @Test func aKilledIncrementalIsNeitherAParentNorLeftBehind() throws {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: false)
            defer { try? archived.stop() }
            try archived.cluster.pgbench(["-i", "-s", "20", "-q"])
            _ = try Self.push(archived, "full")
            let full = try Listed.all(archived)[0].name
            try Self.touch(archived, fraction: 0.05)

            let backups = archived.tailtown.repository.root + "/backups"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: archived.sandbox.binary)
            process.arguments = ["--config", archived.tailtown.configFile, "backup-push", "--dbname", archived.cluster.conninfo, "--type", "incremental"]
            let log = archived.sandbox.path("killed-backup.log")
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: log)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Killed once its lease is written and its first piece is on its way.
            try waitUntil("the incremental's lease and its first upload", seconds: 120, detail: {
                "\(BackupCommandTests.files(under: backups)) \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"
            }) {
                let files = BackupCommandTests.files(under: backups)
                return files.contains { $0.hasSuffix("/running") } && files.contains { $0.contains(".base.tar.0000.") || $0.hasSuffix("base.tar.0000") }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let killed = Set(BackupCommandTests.files(under: backups).map { String($0.split(separator: "/")[0]) }).subtracting([full])
            #expect(killed.count == 1, "\(killed)")

            let next = try Self.push(archived, "incremental")
            #expect(next.contains(": incremental on \(full), "), "the killed backup served as a parent: \(next)")
            let left = BackupCommandTests.files(under: backups).filter { killed.contains(String($0.split(separator: "/")[0])) }
            #expect(left.isEmpty, "the killed backup's objects are still there: \(left)")
            #expect(try Listed.all(archived).count == 2)
        }
    }
}
