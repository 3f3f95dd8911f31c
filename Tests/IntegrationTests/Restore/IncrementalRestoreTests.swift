import Foundation
import Testing
@testable import PITRConfig
@testable import PITRRepository
@testable import PITRRestore
import PITRSupport
import PITRVerify

extension PostgreSQLIntegration {
    /// An incremental backup restores like a full one: a chain of server-side incrementals (pg_basebackup
    /// --incremental, summarize_wal on) stored in the repository is rebuilt by `restore` into exactly what
    /// pg_combinebackup makes of the same chain, which pg_verifybackup accepts and PostgreSQL starts from; the restore
    /// drill takes it as its newest backup.
    @Suite struct IncrementalRestoreTests {
        /// What the tables hold: pgbench's, one dropped after the first incremental, one cut short by VACUUM.
        static let contents = """
            select (select count(*) || ' ' || sum(abalance) from pgbench_accounts) || ' | '
                || (select count(*) || ' ' || coalesce(sum(delta), 0) from pgbench_history) || ' | '
                || (select count(*) || ' ' || sum(length(pad)) from shrunk) || ' | '
                || (to_regclass('dropped') is null)::text
            """

        @Test(arguments: [17, 18])
        func rebuildsAChainByteForByteAsPgCombinebackup(major: Int) throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown, major: major)
            let cluster = source.cluster
            _ = try cluster.query("alter system set summarize_wal = on")
            _ = try cluster.query("select pg_reload_conf()")
            try cluster.pgbench(["-i", "-q", "-s", "2"])
            _ = try cluster.query("create table dropped as select g from generate_series(1, 20000) g")
            _ = try cluster.query("create table shrunk as select g, repeat('x', 200) as pad from generate_series(1, 20000) g")

            let chain = BaseBackupChain(of: cluster)
            try chain.take("full")
            try cluster.pgbench(["-n", "-t", "300"])
            try cluster.waitForTheNextSecond()
            try chain.take("first")
            try cluster.pgbench(["-n", "-t", "300"])
            _ = try cluster.query("drop table dropped")
            _ = try cluster.query("delete from shrunk where g > 2000")
            _ = try cluster.query("vacuum shrunk")
            _ = try cluster.query("truncate pgbench_history")
            _ = try cluster.query("insert into pgbench_history select 1, 1, aid, 5, now() from pgbench_accounts where aid <= 10")
            try cluster.waitForTheNextSecond()
            try chain.take("second")
            let expected = try cluster.query(Self.contents)
            try source.archiveAll()
            try cluster.stop()

            let settings = try Settings.load(flags: ["TAILTOWN_CONFIG": tailtown.configFile], environment: [:], defaultFile: sandbox.path("absent.conf"))
            let repository = try PITRRepository.Repository.open(settings: settings, environment: [:], log: Log(level: .error))
            let backups = try chain.store(in: repository)
            let newest = try #require(backups.last)
            // The server refuses an incremental's own label; its INCREMENTAL files hold only what changed.
            let label = try Command.run("/bin/tar", ["-xOf", sandbox.path("second/base.tar"), "backup_label"]).check()
            #expect(label.contains("INCREMENTAL FROM LSN: \(backups[1].startLSN)"))

            // restore, measured, without starting: the directory as rebuilt.
            let target = sandbox.path("restored")
            let port = try sandbox.freePort()
            let bin = try PostgreSQL.binDirectory(major: major)
            let restore = try Command.run("/usr/bin/time", ["-f", "peak RSS %M KiB", sandbox.binary, "--config", tailtown.configFile, "restore",
                                                            "--immediate", "--backup", newest.name, "--target-dir", target, "--port", String(port), "--pg-bin", bin])
            #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
            let peak = restore.stderr.split(separator: "\n").last { $0.hasPrefix("peak RSS") } ?? "no peak RSS"
            let kibibytes = Int(peak.split(separator: " ").dropFirst(2).first ?? "") ?? 0
            #expect(kibibytes > 0 && kibibytes <= 64 << 10, "restore's \(peak), beyond 64 MiB")
            print("incremental restore (\(major)): \(peak); " + restore.stdout.split(separator: "\n").filter { $0.contains("rebuilt") || $0.contains("older backup") }.joined(separator: " | "))
            #expect(restore.stdout.contains("rebuilt"), "\(restore.stdout)")

            let combined = sandbox.path("combined")
            let inputs = try (0..<3).map { try chain.extract($0, to: "input-\($0)") }
            try Command.runAsPostgres(try PostgreSQL.tool("pg_combinebackup", major: major), inputs + ["-o", combined], timeout: 300).check()
            try Self.expectSameFiles(rebuilt: target, combined: combined)

            let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup", major: major), ["-n", target])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

            let copy = RestoredCopy(sandbox: sandbox, directory: target, port: port, major: major)
            let starter = PostgresStarter(dataDirectory: target, owner: try FileOwner(name: "postgres"), binDirectory: bin, log: Log(level: .error))
            try starter.start()
            defer { copy.stop() }
            #expect(try starter.waitForTarget(action: .pause, standbyFollowing: false) == .paused, "\(starter.logTail())")
            #expect(try copy.query(Self.contents) == expected)
            copy.stop()

            // The restore drill takes the newest backup, this incremental, as it would a full one.
            var procedure = RestoreProcedure(repository: repository, settings: settings, log: Log(level: .error))
            procedure.pgBin = bin
            var drill = RestoreDrill(procedure: procedure, executable: sandbox.binary)
            let scratch = "/tmp/tt-drill-" + UUID().uuidString.prefix(8)  // short: the socket path has 107 bytes
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            drill.scratchParent = scratch
            drill.checks = [try DrillCheck(parsing: "select count(*) from shrunk => = 2000")]
            let report = drill.run()
            print("drill on the incremental (\(major)): " + report.phases.map { "\($0.name) \(String(format: "%.1f", $0.seconds)) s" }.joined(separator: ", "))
            #expect(report.passed && report.backup == newest.name, "\(report.text)")
        }

        /// Every folder and file of pg_combinebackup's output is in the rebuilt directory with the same bytes, and nothing
        /// else but what restore writes for recovery (recovery.signal, staged WAL); the manifests list the same files with the same sizes and checksums
        /// and the same WAL ranges (their Last-Modified times differ).
        static func expectSameFiles(rebuilt: String, combined: String) throws {
            func listing(_ root: String) -> [String] { (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted() }
            // WAL restore staged for recovery lies in its own folder of pg_wal.
            let ours = listing(rebuilt).filter { !$0.hasPrefix("pg_wal/tailtown-pitr") }, theirs = listing(combined)
            #expect(Set(ours).subtracting(theirs) == ["recovery.signal"])
            #expect(Set(theirs).subtracting(ours) == [])
            var compared = 0
            for path in theirs where !["backup_manifest", "postgresql.auto.conf"].contains(path) {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: combined + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                let a = try Data(contentsOf: URL(fileURLWithPath: rebuilt + "/" + path)), b = try Data(contentsOf: URL(fileURLWithPath: combined + "/" + path))
                #expect(a == b, "\(path): \(a.count) bytes rebuilt, \(b.count) from pg_combinebackup")
                compared += 1
            }
            print("compared \(compared) files byte for byte with pg_combinebackup's")
            // restore appends the recovery settings to the backup's postgresql.auto.conf.
            let autoConf = try String(contentsOfFile: rebuilt + "/postgresql.auto.conf", encoding: .utf8)
            #expect(autoConf.hasPrefix(try String(contentsOfFile: combined + "/postgresql.auto.conf", encoding: .utf8)))
            let manifests = try [rebuilt, combined].map { try BackupManifest([UInt8](try Data(contentsOf: URL(fileURLWithPath: $0 + "/backup_manifest")))) }
            #expect(manifests[0].files == manifests[1].files)
            #expect(manifests[0].walRanges == manifests[1].walRanges && manifests[0].systemIdentifier == manifests[1].systemIdentifier)
        }
    }
}
