import Foundation
import Testing

extension PostgreSQLIntegration {
    /// `dump-push`, `dump-list`, `dump-fetch` and what `delete`, `verify --deep` and `check` do with dumps, as processes
    /// against real PostgreSQL 15 and 18 clusters and an encrypted file:// repository.
    @Suite struct DumpTests {
        let sandbox: Sandbox
        let tailtown: Tailtown
        let cluster: PostgresCluster

        init() throws {
            sandbox = try Sandbox()
            tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            cluster = try PostgresCluster.initialize(in: sandbox, name: "pg15")
            try cluster.start()
        }

        func tailtown(_ arguments: [String], config: String? = nil) throws -> CommandResult {
            try sandbox.tailtown(["--config", config ?? tailtown.configFile] + arguments)
        }

        /// The runs `dump-list --json` lists.
        func runs(config: String? = nil) throws -> [[String: Any]] {
            let json = try tailtown(["dump-list", "--json"], config: config).check()
            return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        }

        /// Every file under the repository's dumps/ folder, hidden ones too.
        func dumpFiles() -> [String] {
            let root = tailtown.repository.root + "/dumps"
            let walker = FileManager.default.enumerator(atPath: root)
            var files: [String] = []
            while let relative = walker?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(relative) }
            }
            return files.sorted()
        }

        /// One checksum per pgbench table: md5 of its rows in order.
        static func checksums(_ psql: (String) throws -> String) throws -> [String] {
            try ["pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history"].map { table in
                table + " " + (try psql("SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM \(table) t"))
            }
        }

        @Test func dumpFrom15RestoresInto18WithTheSameRows() throws {
            defer { try? cluster.stop() }
            try cluster.pgbench(["-i", "-s", "2", "-q"])
            try cluster.pgbench(["-t", "200", "-c", "2"])
            _ = try cluster.query("CREATE DATABASE shop")
            _ = try cluster.query("CREATE ROLE auditor LOGIN PASSWORD 'not-in-the-dump'")
            let push = try tailtown(["dump-push", "--dbname", cluster.conninfo]).check()
            #expect(push.contains("2 databases and the globals"), "\(push)")

            let listed = try runs()
            #expect(listed.count == 1)
            let run = try #require(listed.first)
            let name = try #require(run["name"] as? String)
            let dumps = try #require(run["dumps"] as? [[String: Any]])
            #expect(dumps.map { ($0["database"] as? String) ?? "(globals)" } == ["(globals)", "postgres", "shop"])
            #expect(dumps.allSatisfy { ($0["tool"] as? String)?.contains("(PostgreSQL) 15.") == true && ($0["cipher"] as? String) == "aes-256-gcm" })
            let table = try tailtown(["dump-list"]).check()
            #expect(table.contains(name) && table.contains("shop") && table.contains("newest"), "\(table)")

            // Into PostgreSQL 18, through a pipe, as the runbook says.
            let pg18 = try PostgresCluster.initialize(in: sandbox, name: "pg18", major: 18)
            try pg18.start()
            defer { try? pg18.stop() }
            _ = try pg18.query("CREATE DATABASE restored")
            let pipeline = "'\(sandbox.binary)' --config '\(tailtown.configFile)' dump-fetch \(name) --database postgres "
                + "| '\(try pg18.tool("pg_restore"))' -h '\(sandbox.root)' -p \(pg18.port) -U postgres -d restored --exit-on-error"
            let restored = try Command.runAsPostgres("/bin/bash", ["-c", "set -o pipefail; " + pipeline], in: sandbox.root, timeout: 300)
            #expect(restored.status == 0, "\(restored.stdout)\(restored.stderr)")
            let psql18 = try pg18.tool("psql")
            let after = try Self.checksums { sql in
                try Command.runAsPostgres(psql18, ["-X", "-A", "-t", "-q", "-h", sandbox.root, "-p", String(pg18.port), "-U", "postgres", "-d", "restored", "-c", sql])
                    .check().trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try Self.checksums { try cluster.query($0) } == after)
            #expect(after[0].hasPrefix("pgbench_accounts 200000 "))

            // A file: pg_dump's archive byte for byte (pg_restore reads its table of contents); the globals hold the role, not its password.
            let file = sandbox.path("shop.dump")
            try tailtown(["dump-fetch", name, "--database", "shop", "-o", file]).check()
            let list = try Command.runAsPostgres(try pg18.tool("pg_restore"), ["--list", file])
            #expect(list.status == 0 && list.stdout.contains("dbname: shop"), "\(list.stdout)\(list.stderr)")
            let globals = try tailtown(["dump-fetch", name, "--globals"]).check()
            #expect(globals.contains("CREATE ROLE auditor") && !globals.contains("SCRAM-SHA-256") && !globals.contains("not-in-the-dump"))
            // The drill: the newest dump of postgres loaded into a new 15 cluster, its checks run there.
            let drill = try tailtown(["verify", "--restore-test", "--from-dump", "--scratch-dir", sandbox.root,
                                      "--check-sql", "SELECT count(*) FROM pgbench_accounts => = 200000"])
            #expect(drill.status == 0 && drill.stdout.contains("restore test of dump \(name) database postgres")
                    && drill.stdout.contains("check passed"), "\(drill.stdout)\(drill.stderr)")
            let wrong = try tailtown(["verify", "--restore-test", "--from-dump", "--scratch-dir", sandbox.root,
                                      "--check-sql", "SELECT count(*) FROM pgbench_accounts => = 5"])
            #expect(wrong.status == 1 && wrong.stdout.contains("check FAILED"), "\(wrong.stdout)\(wrong.stderr)")
            let several = try tailtown(["dump-fetch", name])
            #expect(several.status == 1 && several.stderr.contains("--database (postgres, shop)"), "\(several.stderr)")
        }

        @Test func killedDumpIsNotListedAndDeleteRemovesItsPieces() throws {
            defer { try? cluster.stop() }
            try cluster.pgbench(["-i", "-s", "20", "-q"])
            let push = try KillableCommand(sandbox.binary, ["--config", tailtown.configFile, "dump-push", "--dbname", cluster.conninfo],
                                           in: sandbox.root, errorLog: sandbox.path("dump-push.log"))
            // Killed while it stores the database's dump (its hidden upload is there, the globals are stored).
            try waitUntil("dump-push to store the database's dump", seconds: 120) { dumpFiles().contains { $0.contains("/.db.postgres.0000.") } }
            #expect(push.kill9())
            #expect(try runs().isEmpty)
            #expect(try tailtown(["dump-list"]).check().split(separator: "\n").count == 1)
            #expect(!dumpFiles().isEmpty)
            let plan = try tailtown(["delete"]).check()
            #expect(plan.contains("objects of dump-push runs killed or failed"), "\(plan)")
            try tailtown(["delete", "--confirm"]).check()
            #expect(dumpFiles().isEmpty, "\(dumpFiles())")
            // The next run is whole.
            try tailtown(["dump-push", "--dbname", cluster.conninfo, "--database", "postgres"]).check()
            #expect(try runs().count == 1)
        }

        @Test func retentionVerifyAndCheckCoverDumps() throws {
            defer { try? cluster.stop() }
            let config = try tailtown.adding(["TAILTOWN_RETAIN_DUMPS=daily=1"], as: "dumps.conf").configFile
            for _ in 0..<2 {
                try tailtown(["dump-push", "--dbname", cluster.conninfo], config: config).check()
                sleep(1)  // runs are named by the second they start
            }
            let names = try runs(config: config).compactMap { $0["name"] as? String }
            #expect(names.count == 2)
            #expect(try runs(config: config).map { ($0["retention"] as? [String]) ?? [] } == [[], ["daily", "newest"]])
            let plan = try tailtown(["delete", "--confirm"], config: config).check()
            #expect(plan.contains("delete  dump \(names[0])") && plan.contains("keep    dump \(names[1])  daily,newest"), "\(plan)")
            #expect(try runs(config: config).compactMap { $0["name"] as? String } == [names[1]])
            #expect(!dumpFiles().contains { $0.hasPrefix(names[0]) })

            // check (no backup here: that is a problem of its own): a dump younger than the limit passes, an older one alarms.
            let fresh = try tailtown(["check", "--no-connect", "--max-dump-age", "1h"], config: config)
            #expect(!fresh.stdout.contains("dump"), "\(fresh.stdout)")
            sleep(2)
            let stale = try tailtown(["check", "--no-connect", "--max-dump-age", "1s"], config: config)
            #expect(stale.status == 1 && stale.stdout.contains("problem: newest dump \(names[1]) finished"), "\(stale.stdout)\(stale.stderr)")
            let status = try tailtown(["status"], config: config).check()
            #expect(status.contains("newest dump       \(names[1])"), "\(status)")

            // verify --deep decodes every dump and lets pg_restore read each archive; one flipped byte is named.
            let verified = try tailtown(["verify", "--deep"], config: config)
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
            let piece = tailtown.repository.root + "/dumps/" + names[1] + "/db.postgres.0000"
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: piece))
            try handle.seek(toOffset: 200)
            let byte = try #require(try handle.read(upToCount: 1)).first ?? 0
            try handle.seek(toOffset: 200)
            try handle.write(contentsOf: Data([byte ^ 0x40]))
            try handle.close()
            let corrupt = try tailtown(["verify", "--deep"], config: config)
            #expect(corrupt.status != 0 && (corrupt.stdout + corrupt.stderr).contains("db.postgres.0000"), "\(corrupt.stdout)\(corrupt.stderr)")
        }
    }
}
