import Foundation
import Testing
@testable import PITR

/// `backup-push` and `backup-list` as processes: summary line, listing, JSON, and a backup killed
/// or interrupted mid-stream that is never listed.
@Suite(.serialized)
struct BackupCommandTests {
    /// A cluster with a few hundred MB so that a backup takes long enough to be stopped mid-stream.
    static func makeCluster(scale: Int) throws -> ArchivedCluster {
        let archived = try ArchivedCluster.make(compression: "lz4", encrypted: true)
        try archived.cluster.pgbench(["-i", "-s", String(scale), "-q"])
        return archived
    }

    static func arguments(_ archived: ArchivedCluster, _ rest: [String]) -> [String] {
        [archived.sandbox.binary, "--config", archived.tailtown.configFile] + rest
    }

    static func dbname(_ archived: ArchivedCluster) -> String {
        "host=\(archived.sandbox.root) port=\(archived.cluster.port) user=postgres dbname=postgres"
    }

    /// Starts backup-push, waits until its first object appears, sends `signal`, returns its exit status and stderr.
    static func stopMidStream(_ archived: ArchivedCluster, signal: Int32) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: archived.sandbox.binary)
        process.arguments = Array(arguments(archived, ["backup-push", "--dbname", dbname(archived)]).dropFirst())
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let backups = archived.tailtown.repository.root + "/backups"
        try waitUntil("a first backup object", seconds: 60) {
            let folders = (try? FileManager.default.contentsOfDirectory(atPath: backups)) ?? []
            return folders.contains { !((try? FileManager.default.contentsOfDirectory(atPath: backups + "/" + $0)) ?? []).isEmpty }
        }
        kill(process.processIdentifier, signal)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr)
    }

    static func listed(_ archived: ArchivedCluster) throws -> String {
        try BackupTestCluster.output(arguments(archived, ["backup-list"]))
    }

    @Test func pushPrintsASummaryAndListShowsTheBackup() throws {
        let archived = try Self.makeCluster(scale: 2)
        defer { try? archived.stop() }
        let summary = try BackupTestCluster.output(Self.arguments(archived, ["backup-push", "--dbname", Self.dbname(archived)]))
        #expect(summary.hasPrefix("backup ") && summary.contains(" raw, ") && summary.contains("LSN "))
        #expect(summary.split(separator: "\n").count == 1, "one summary line on a non-terminal: \(summary)")
        let table = try Self.listed(archived)
        let name = String(summary.split(separator: " ")[1].dropLast())
        #expect(table.split(separator: "\n").count == 2 && table.contains(name))
        let slow = #expect(throws: BackupTestCluster.ClusterError.self) {
            try BackupTestCluster.output(Self.arguments(archived, ["backup-push", "--dbname", Self.dbname(archived), "--checkpoint", "slow"]))
        }
        #expect(slow?.description.contains("--checkpoint must be fast or spread, not 'slow'") == true, "\(String(describing: slow))")
        let json = try BackupTestCluster.output(Self.arguments(archived, ["backup-list", "--json"]))
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        #expect(parsed?.first?["name"] as? String == name)
        #expect(parsed?.first?["cipher"] as? String == "aes-256-gcm")
    }

    @Test func killedMidStreamLeavesNothingListed() throws {
        let archived = try Self.makeCluster(scale: 30)
        defer { try? archived.stop() }
        let (status, _) = try Self.stopMidStream(archived, signal: SIGKILL)
        #expect(status == SIGKILL)
        #expect(try Self.listed(archived).split(separator: "\n").count == 1, "only the header")
        let descriptors = FileManager.default.enumerator(atPath: archived.tailtown.repository.root + "/backups")?
            .compactMap { $0 as? String }.filter { $0.hasSuffix("backup.info") } ?? []
        #expect(descriptors.isEmpty)
        // The server let go of the backup: another one succeeds.
        _ = try BackupTestCluster.output(Self.arguments(archived, ["backup-push", "--dbname", Self.dbname(archived)]))
        #expect(try Self.listed(archived).split(separator: "\n").count == 2)
    }

    @Test func ctrlCAbortsCleanly() throws {
        let archived = try Self.makeCluster(scale: 30)
        defer { try? archived.stop() }
        let (status, stderr) = try Self.stopMidStream(archived, signal: SIGINT)
        #expect(status == 1)
        #expect(stderr.contains("interrupted"), "\(stderr)")
        let left = FileManager.default.enumerator(atPath: archived.tailtown.repository.root + "/backups")?
            .compactMap { $0 as? String }.filter { !$0.contains("/.") && $0.contains(".tar.") } ?? []
        #expect(left.isEmpty, "pieces left: \(left)")
        #expect(try Self.listed(archived).split(separator: "\n").count == 1)
    }
}
