import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRRepository
@testable import PITRRestore
import PITRSupport
import PITRVerify

extension PostgreSQLIntegration {
    /// An incremental backup restores like a full one. A chain of server-side incrementals (pg_basebackup
    /// --incremental, summarize_wal on) stored in the repository is rebuilt by `restore` into exactly what
    /// pg_combinebackup makes of the same chain; a block-compare incremental into exactly the full backup it stands
    /// for. pg_verifybackup accepts both, PostgreSQL starts from both, and the restore drill takes an incremental as
    /// its newest backup.
    @Suite struct IncrementalRestoreTests {
        /// What the tables hold: pgbench's, one dropped after the first incremental, one cut short by VACUUM.
        static let contents = """
            select (select count(*) || ' ' || sum(abalance) from pgbench_accounts) || ' | '
                || (select count(*) || ' ' || coalesce(sum(delta), 0) from pgbench_history) || ' | '
                || (select count(*) || ' ' || sum(length(pad)) from shrunk) || ' | '
                || (to_regclass('dropped') is null)::text
            """

        /// A cluster archiving into a repository, and three backups of it (`serverSide`: server-side incrementals on
        /// the first; otherwise full ones) with load between them, the last after a table was dropped, one cut short by
        /// VACUUM and pgbench_history truncated. Returns what its tables held at the last backup; the cluster is stopped.
        static func chain(_ sandbox: Sandbox, _ tailtown: Tailtown, major: Int, serverSide: Bool) throws -> (BaseBackupChain, expected: String) {
            let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown, major: major)
            let cluster = source.cluster
            if serverSide {
                _ = try cluster.query("alter system set summarize_wal = on")
                _ = try cluster.query("select pg_reload_conf()")
            }
            try cluster.pgbench(["-i", "-q", "-s", "2"])
            _ = try cluster.query("create table dropped as select g from generate_series(1, 20000) g")
            _ = try cluster.query("create table shrunk as select g, repeat('x', 200) as pad from generate_series(1, 20000) g")

            let chain = BaseBackupChain(of: cluster)
            try chain.take("full", serverSide: serverSide)
            try cluster.pgbench(["-n", "-t", "300"])
            try cluster.waitForTheNextSecond()
            try chain.take("first", serverSide: serverSide)
            try cluster.pgbench(["-n", "-t", "300"])
            _ = try cluster.query("drop table dropped")
            _ = try cluster.query("delete from shrunk where g > 2000")
            _ = try cluster.query("vacuum shrunk")
            _ = try cluster.query("truncate pgbench_history")
            _ = try cluster.query("insert into pgbench_history select 1, 1, aid, 5, now() from pgbench_accounts where aid <= 10")
            try cluster.waitForTheNextSecond()
            try chain.take("second", serverSide: serverSide)
            let expected = try cluster.query(Self.contents)
            try source.archiveAll()
            try cluster.stop()
            return (chain, expected)
        }

        static func repository(_ sandbox: Sandbox, _ tailtown: Tailtown) throws -> (PITRRepository.Repository, Settings) {
            let settings = try Settings.load(flags: ["TAILTOWN_CONFIG": tailtown.configFile], environment: [:], defaultFile: sandbox.path("absent.conf"))
            return (try PITRRepository.Repository.open(settings: settings, environment: [:], log: Log(level: .error)), settings)
        }

        /// `restore --immediate --backup NAME` into `restored` without starting, measured: the directory as rebuilt.
        static func restore(_ backup: BackupDescriptor, _ sandbox: Sandbox, _ tailtown: Tailtown, major: Int) throws -> RestoredCopy {
            let target = sandbox.path("restored")
            let port = try sandbox.freePort()
            let restore = try Command.run("/usr/bin/time", ["-f", "peak RSS %M KiB", sandbox.binary, "--config", tailtown.configFile, "restore",
                                                            "--immediate", "--backup", backup.name, "--target-dir", target, "--port", String(port),
                                                            "--pg-bin", try PostgreSQL.binDirectory(major: major)])
            #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
            let peak = restore.stderr.split(separator: "\n").last { $0.hasPrefix("peak RSS") } ?? "no peak RSS"
            let kibibytes = Int(peak.split(separator: " ").dropFirst(2).first ?? "") ?? 0
            #expect(kibibytes > 0 && kibibytes <= 64 << 10, "restore's \(peak), beyond 64 MiB")
            print("incremental restore (\(major), \(backup.detection?.rawValue ?? "full")): \(peak); "
                  + restore.stdout.split(separator: "\n").filter { $0.contains("rebuilt") || $0.contains("older backup") }.joined(separator: " | "))
            #expect(restore.stdout.contains("rebuilt"), "\(restore.stdout)")
            return RestoredCopy(sandbox: sandbox, directory: target, port: port, major: major)
        }

        /// pg_verifybackup accepts the copy, which starts, pauses at the end of the backup and holds `expected`.
        static func expectStartsHolding(_ expected: String, _ copy: RestoredCopy) throws {
            let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup", major: copy.major), ["-n", copy.directory])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            let starter = PostgresStarter(dataDirectory: copy.directory, owner: try FileOwner(name: "postgres"),
                                          binDirectory: try PostgreSQL.binDirectory(major: copy.major), log: Log(level: .error))
            try starter.start()
            defer { copy.stop() }
            #expect(try starter.waitForTarget(action: .pause, standbyFollowing: false) == .paused, "\(starter.logTail())")
            #expect(try copy.query(Self.contents) == expected)
        }

        @Test(arguments: [17, 18])
        func rebuildsAChainByteForByteAsPgCombinebackup(major: Int) throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let (chain, expected) = try Self.chain(sandbox, tailtown, major: major, serverSide: true)
            let (repository, settings) = try Self.repository(sandbox, tailtown)
            let backups = try chain.store(in: repository)
            let newest = try #require(backups.last)
            // The server refuses an incremental's own label; its INCREMENTAL files hold only what changed.
            let label = try Command.run("/bin/tar", ["-xOf", sandbox.path("second/base.tar"), "backup_label"]).check()
            #expect(label.contains("INCREMENTAL FROM LSN: \(backups[1].startLSN)"))

            let copy = try Self.restore(newest, sandbox, tailtown, major: major)
            let combined = sandbox.path("combined")
            let inputs = try (0..<3).map { try chain.extract($0, to: "input-\($0)") }
            try Command.runAsPostgres(try PostgreSQL.tool("pg_combinebackup", major: major), inputs + ["-o", combined], timeout: 300).check()
            try Self.expectSameFiles(rebuilt: copy.directory, reference: combined)
            try Self.expectStartsHolding(expected, copy)

            // The restore drill takes the newest backup, this incremental, as it would a full one.
            var procedure = RestoreProcedure(repository: repository, settings: settings, log: Log(level: .error))
            procedure.pgBin = try PostgreSQL.binDirectory(major: major)
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

        /// The block-compare way (any major, summaries off): each incremental made from the full backups taken, relation
        /// files cut into several INCREMENTAL entries, its stored manifest the full backup's. The rebuilt directory is that
        /// full backup, file for file, and restore checks every rebuilt file against the manifest.
        @Test(arguments: [15, 18])
        func rebuildsABlockCompareChainIntoTheFullBackupItStandsFor(major: Int) throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let (chain, expected) = try Self.chain(sandbox, tailtown, major: major, serverSide: false)
            let (repository, _) = try Self.repository(sandbox, tailtown)
            let newest = try #require(try chain.store(in: repository, detection: .blockCompare).last)
            let made = try BlockCompareIncremental.entries(BlockCompareIncremental.make(
                child: [UInt8](try Data(contentsOf: URL(fileURLWithPath: sandbox.path("second/base.tar")))),
                parent: [UInt8](try Data(contentsOf: URL(fileURLWithPath: sandbox.path("first/base.tar"))))))
            let incremental = made.map(\.header.name).filter { $0.contains("/INCREMENTAL.") }
            #expect(Set(incremental).count > 100 && incremental.count > Set(incremental).count, "\(incremental.count) INCREMENTAL entries")

            let copy = try Self.restore(newest, sandbox, tailtown, major: major)
            try Self.expectSameFiles(rebuilt: copy.directory, reference: try chain.extract(2, to: "second-extracted"))
            try Self.expectStartsHolding(expected, copy)
        }

        /// Every folder and file of the reference directory is in the rebuilt one with the same bytes, and nothing else but
        /// what restore writes for recovery (recovery.signal, staged WAL); the manifests list the same files with the same
        /// sizes and checksums and the same WAL ranges (their Last-Modified times may differ).
        static func expectSameFiles(rebuilt: String, reference: String) throws {
            func listing(_ root: String) -> [String] { (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).sorted() }
            // WAL restore staged for recovery lies in its own folder of pg_wal.
            let ours = listing(rebuilt).filter { !$0.hasPrefix("pg_wal/tailtown-pitr") }, theirs = listing(reference)
            #expect(Set(ours).subtracting(theirs) == ["recovery.signal"])
            #expect(Set(theirs).subtracting(ours) == [])
            var compared = 0
            for path in theirs where !["backup_manifest", "postgresql.auto.conf"].contains(path) {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: reference + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                let a = try Data(contentsOf: URL(fileURLWithPath: rebuilt + "/" + path)), b = try Data(contentsOf: URL(fileURLWithPath: reference + "/" + path))
                #expect(a == b, "\(path): \(a.count) bytes rebuilt, \(b.count) in the reference")
                compared += 1
            }
            print("compared \(compared) files byte for byte with \(reference)")
            // restore appends the recovery settings to the backup's postgresql.auto.conf.
            let autoConf = try String(contentsOfFile: rebuilt + "/postgresql.auto.conf", encoding: .utf8)
            #expect(autoConf.hasPrefix(try String(contentsOfFile: reference + "/postgresql.auto.conf", encoding: .utf8)))
            let manifests = try [rebuilt, reference].map { try BackupManifest([UInt8](try Data(contentsOf: URL(fileURLWithPath: $0 + "/backup_manifest")))) }
            #expect(manifests[0].files == manifests[1].files)
            #expect(manifests[0].walRanges == manifests[1].walRanges && manifests[0].systemIdentifier == manifests[1].systemIdentifier)
        }
    }
}
