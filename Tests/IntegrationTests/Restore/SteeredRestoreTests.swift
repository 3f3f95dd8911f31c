import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRSupport
@testable import PITRVerify
import TestSupport

extension PostgreSQLIntegration {
    /// Restore as root (in-process, like `sudo tailtown-pitr restore`) into a folder postgres owns, with postgres
    /// playing the attacker at fixed points of the restore (the executor's progress lines, so the attack never
    /// depends on timing): a symlink to a root-owned canary at the recovery config file's name, at
    /// postgresql.auto.conf after the extraction, at global/ and pg_wal/ before the sync, and at the server log's
    /// name. Each is refused with an error naming the file, and the canary, and every file postgres can read,
    /// stay as they were. Then the restore and the drill that succeed start servers whose environment holds none
    /// of the secrets of ours.
    @Suite(.enabled(if: getuid() == 0, "restore as root")) struct SteeredRestoreTests {
        /// Runs `script` as postgres in `directory`, and fails the test if it fails.
        static func asPostgres(_ script: String, in directory: String) throws {
            let result = try Command.runAsPostgres("/bin/sh", ["-c", script], in: directory)
            #expect(result.status == 0, "\(script): \(result.stderr)")
        }

        @Test func theOwnerCannotSteerARootRestoreAndChildrenGetNoSecret() throws {
            let source = try RestoreSource.onFile()
            try source.commitRows(3)
            try source.backup()
            try source.archiveAll()
            try source.cluster.stop()
            let sandbox = source.sandbox
            let canary = try Canary()
            let before = canary.snapshot()

            let settings = try Settings.load(flags: ["TAILTOWN_CONFIG": source.tailtown.configFile], environment: [:],
                                             defaultFile: sandbox.path("absent.conf"))
            let repository = try PITRRepository.Repository.open(settings: settings, environment: [:], log: Log(level: .error))
            let plan = try RestorePlanner(repository: repository, log: Log(level: .error)).plan(RestoreRequest(target: .immediate))
            func restore(_ name: String, onProgress: @escaping (String) -> Void = { _ in }) throws -> RestoreSummary {
                var options = RestoreOptions(targetDirectory: sandbox.path(name), executable: sandbox.binary)
                options.port = try sandbox.freePort()
                let executor = RestoreExecutor(repository: repository, settings: settings, log: Log(level: .error))
                executor.onProgress = onProgress
                return try executor.execute(plan, options)
            }

            // A symlink where the recovery config file goes: never read, never written through.
            try Self.asPostgres("ln -s '\(canary.file)' planted.tailtown-pitr.conf", in: sandbox.root)
            #expect(throws: RestoreError.recoveryConfigExists(path: sandbox.path("planted.tailtown-pitr.conf"))) { _ = try restore("planted") }

            // postgresql.auto.conf swapped for a symlink to a root-only file once the archive is extracted: not read into the new one.
            #expect(throws: DirectoryError.notRegularFile(path: sandbox.path("auto/postgresql.auto.conf"))) {
                _ = try restore("auto") { line in
                    if line.hasPrefix("base.tar:") { try? Self.asPostgres("rm postgresql.auto.conf && ln -s '\(canary.file)' postgresql.auto.conf", in: sandbox.path("auto")) }
                }
            }

            // Folders swapped for symlinks to a root-owned folder before the sync and the WAL staging: neither goes through them.
            #expect(throws: RestoreError.self) {
                _ = try restore("folders") { line in
                    if line.hasPrefix("syncing") {
                        try? Self.asPostgres("mv global global.moved && ln -s '\(canary.folder)' global && mv pg_wal pg_wal.moved && ln -s '\(canary.folder)' pg_wal",
                                             in: sandbox.path("folders"))
                    }
                }
            }

            // A restore left alone succeeds. A symlink planted at its server log's name is not read for the log's tail
            // (pg_ctl, as the owner, opens the log, so what it reaches through a symlink is the owner's already).
            let summary = try restore("started")
            try Self.asPostgres("ln -s '\(canary.file)' started.postgresql.log", in: sandbox.root)
            var starter = PostgresStarter(dataDirectory: summary.targetDirectory, owner: summary.owner,
                                          binDirectory: try PostgresStarter.binDirectory(requested: nil, majorVersion: source.cluster.major),
                                          log: Log(level: .error))
            #expect(starter.logTail() == "")
            try FileManager.default.removeItem(atPath: sandbox.path("started.postgresql.log"))

            // The secrets of our environment never reach the postmaster.
            let marker = "MARKER-" + UUID().uuidString
            starter.environment = ProcessEnvironment.current().merging([
                "AWS_SECRET_ACCESS_KEY": marker, "TAILTOWN_ENCRYPTION_KEY": marker, "PGPASSWORD": marker, "LC_ALL": "C",
            ]) { _, new in new }
            try starter.start()
            let copy = RestoredCopy(sandbox: sandbox, directory: summary.targetDirectory, port: 0)
            defer { copy.stop() }
            #expect(try starter.waitForTarget(action: .pause, standbyFollowing: false) == .paused, "\(starter.logTail())")
            let pid = try #require(try String(contentsOfFile: summary.targetDirectory + "/postmaster.pid", encoding: .utf8).split(separator: "\n").first)
            let environment = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")).split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            #expect(environment.contains("LC_ALL=C") && environment.contains { $0.hasPrefix("PATH=") }, "\(environment)")
            #expect(!environment.contains { $0.contains(marker) || $0.hasPrefix("AWS_") || $0.hasPrefix("TAILTOWN_") }, "\(environment)")

            #expect(canary.snapshot() == before)
            #expect(canary.filesHoldingTheSecret(below: sandbox.root) == [])
        }

        /// `verify --restore-test` as root: the same executor, a scratch directory that stays root's, a passing check.
        @Test func theDrillRunsAsRootInARootScratchDirectory() throws {
            let source = try RestoreSource.onFile()
            try source.commitRows(3)
            try source.backup()
            try source.archiveAll()
            try source.cluster.stop()
            let sandbox = source.sandbox
            let settings = try Settings.load(flags: ["TAILTOWN_CONFIG": source.tailtown.configFile], environment: [:],
                                             defaultFile: sandbox.path("absent.conf"))
            let repository = try PITRRepository.Repository.open(settings: settings, environment: [:], log: Log(level: .error))
            let scratch = "/tmp/tt-drill-" + UUID().uuidString.prefix(8)  // short: the socket path has 107 bytes
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            var drill = RestoreDrill(procedure: RestoreProcedure(repository: repository, settings: settings, log: Log(level: .error)),
                                     executable: sandbox.binary)
            drill.scratchParent = scratch
            drill.checks = [try DrillCheck(parsing: "select count(*) from ticks => = 3")]
            let report = drill.run()
            #expect(report.passed, "\(report.text)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == [])
        }
    }
}
