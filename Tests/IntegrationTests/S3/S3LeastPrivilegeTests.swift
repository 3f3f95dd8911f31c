import Foundation
import Testing
import PITRStorage
import TestSupport

extension PostgreSQLIntegration {
    /// The archiver's role has no delete permission of any kind (docs/s3.md, "Minimal IAM policy"): against a server
    /// that refuses every DELETE and DeleteObjects, wal-push, backup-push (after a killed one too), restore and status
    /// all work, on every supported major; what a killed backup left is the maintenance role's to remove, with a warning.
    @Suite
    struct S3WithoutDeletePermission {
        @Test(arguments: PostgreSQL.supportedMajors)
        func archivingBackupsRestoreAndStatusNeedNoDelete(major: Int) throws {
            let proxy = try FaultProxy(upstream: try S3Services.moto.get())
            defer { proxy.stop() }
            proxy.setRate(1, faults: ["nodelete"])
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket("it-nodelete", prefix: "pg/main")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: proxy.endpoint, compression: "lz4", encrypted: true)
            let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown, major: major)
            try source.cluster.pgbench(["-i", "-q", "-s", "5"])
            try source.commitRows(3)
            try source.backup(["--type", "full"])

            // A backup-push killed once its lease is stored, mid-stream.
            let killed = Process()
            // As postgres, who owns the config file (setpriv execs: the process killed is backup-push itself).
            killed.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            killed.arguments = ["--reuid", "postgres", "--regid", "postgres", "--init-groups", "--", sandbox.binary,
                                "--config", tailtown.configFile, "backup-push", "--type", "full", "--dbname", source.cluster.conninfo]
            killed.standardOutput = FileHandle.nullDevice
            let killedLog = sandbox.path("killed-backup.log")
            FileManager.default.createFile(atPath: killedLog, contents: nil, attributes: [.posixPermissions: 0o666])
            killed.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: killedLog))
            let before = Set(try storage.list(prefix: "backups/"))
            try killed.run()
            try waitUntil("the killed backup's lease to be stored", seconds: 60,
                          detail: { (try? String(contentsOfFile: killedLog, encoding: .utf8)) ?? "" }) {
                try storage.list(prefix: "backups/").contains { !before.contains($0) && $0.hasSuffix("/running") }
            }
            kill(killed.processIdentifier, SIGKILL)
            killed.waitUntilExit()
            #expect(killed.terminationReason == .uncaughtSignal)

            try source.commitRows(2)
            let next = try sandbox.tailtown(["--config", tailtown.configFile, "backup-push", "--dbname", source.cluster.conninfo])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr.contains("cannot look for backups left by killed backup-push runs"), "\(next.stderr)")
            try source.commitRows(2)
            try source.archiveAll()

            try RestoreRun(source: source).expectRows(["--to", "latest"], into: "restored", Array(1...7))
            let status = try sandbox.tailtown(["--config", tailtown.configFile, "status"])
            #expect(status.status == 0, "\(status.stderr)")
            let refused = try proxy.log().filter { $0.fault == "403" }
            #expect(!refused.isEmpty)
            #expect(refused.allSatisfy { $0.method == "DELETE" || $0.method == "POST" }, "\(refused.map { "\($0.method) \($0.path)" })")
        }
    }
}
