import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRSupport

extension PostgreSQLIntegration {
    /// The executor in-process (as root, like `sudo tailtown-pitr restore`) on a real backup, with a
    /// plan made by hand for `.immediate`: what it writes, who owns it, and a start that pauses at the target.
    @Suite struct RestoreExecutorTests {
        static func plan(_ backup: BackupDescriptor, _ target: RecoveryTarget) -> RestorePlan {
            RestorePlan(request: RestoreRequest(target: target), backup: backup, targetTimeline: backup.timeline, path: [],
                        segments: [], stop: nil, backupStoredBytes: backup.storedBytes, walStoredBytes: 0, newestRestorableTime: nil)
        }

        @Test func restoresABackupStartsItAndPausesAtItsEnd() throws {
            let source = try RestoreSource.onFile()
            let tablespace = try source.sandbox.makeDirectory("tablespace-one")
            _ = try source.cluster.query("create tablespace one location '\(tablespace)'")
            _ = try source.cluster.query("create table in_one tablespace one as select g from generate_series(1, 1000) g")
            try source.commitRows(5)
            try source.backup()
            try source.commitRows(3)
            try source.archiveAll()
            try source.cluster.stop()

            let settings = try Settings.load(flags: ["TAILTOWN_CONFIG": source.tailtown.configFile], environment: [:],
                                             defaultFile: source.sandbox.path("absent.conf"))
            let repository = try PITRRepository.Repository.open(settings: settings, environment: [:], log: Log(level: .error))
            let backup = try #require(try BackupCatalog(repository: repository).list().last)
            let target = source.sandbox.path("restored")
            var options = RestoreOptions(targetDirectory: target, executable: source.sandbox.binary)
            options.port = try source.sandbox.freePort()
            let executor = RestoreExecutor(repository: repository, settings: settings, log: Log(level: .error))
            let oid = try #require(backup.tablespaces.first?.oid)
            // The tablespace's own location still holds the source's files: refused before anything is written.
            #expect(throws: RestoreError.tablespaceNotEmpty(oid: oid, directory: tablespace)) { _ = try executor.execute(Self.plan(backup, .immediate), options) }
            #expect(!FileManager.default.fileExists(atPath: target))
            let moved = source.sandbox.path("tablespace-moved")
            options.tablespaceMap = [oid: moved]
            var progress: [String] = []
            executor.onProgress = { progress.append($0) }
            // The planner's plan, with its WAL: restore (running as root here) stages it for postgres.
            let planned = try RestorePlanner(repository: repository, log: Log(level: .error)).plan(RestoreRequest(target: .immediate))
            #expect(planned.backup.name == backup.name && !planned.segments.isEmpty)
            let summary = try executor.execute(planned, options)
            #expect(progress.contains { $0.hasPrefix("WAL: \(planned.segments.count) segment") }, "\(progress)")
            print("restore executor: \(summary.files) files, \(summary.bytes / 1_000_000) MB in \(String(format: "%.2f", summary.seconds)) s; " + progress.joined(separator: " | "))

            // Laid out for PostgreSQL: no marker, the manifest verifies, nothing left to root, secrets outside.
            #expect(!FileManager.default.fileExists(atPath: target + "/" + RestoreMarker.fileName))
            #expect(FileManager.default.fileExists(atPath: target + "/recovery.signal"))
            let verify = try Command.runAsPostgres(try PostgreSQL.tool("pg_verifybackup"), ["-n", target])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            let copy = RestoredCopy(sandbox: source.sandbox, directory: target, port: try #require(options.port))
            #expect(copy.notOwnedByPostgres() == [])
            let config = source.sandbox.path("restored.tailtown-pitr.conf")
            #expect(summary.recoveryConfigFile == config)
            let attributes = try FileManager.default.attributesOfItem(atPath: config)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(attributes[.ownerAccountName] as? String == "postgres")
            let autoConf = try String(contentsOfFile: target + "/postgresql.auto.conf", encoding: .utf8)
            #expect(autoConf.contains("restore_command = 'exec \(source.sandbox.binary) --config \(config) wal-fetch %f %p'"))
            #expect(autoConf.contains("recovery_target = 'immediate'") && autoConf.contains("archive_mode = 'off'"))
            #expect(try String(contentsOfFile: config, encoding: .utf8).contains("TAILTOWN_ENCRYPTION_KEY_FILE=\"\(source.sandbox.path("tailtown.key"))\""))

            // A second restore into the same directory is refused before anything is written.
            #expect(throws: RestoreError.targetNotEmpty(directory: target)) { _ = try executor.execute(Self.plan(backup, .immediate), options) }

            let starter = PostgresStarter(dataDirectory: target, owner: try FileOwner(name: "postgres"),
                                          binDirectory: try PostgresStarter.binDirectory(requested: nil, majorVersion: 15), log: Log(level: .error))
            try starter.start()
            defer { copy.stop() }
            #expect(try starter.waitForTarget(action: .pause, standbyFollowing: false) == .paused, "\(starter.logTail())")
            #expect(try copy.ids() == [1, 2, 3, 4, 5])
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/pg_tblspc/\(oid)") == moved)
            #expect(try copy.query("select count(*) from in_one") == "1000")
            #expect(RestoredCopy(sandbox: source.sandbox, directory: moved, port: 0).notOwnedByPostgres() == [])
        }

        @Test func anInterruptedRestoreIsNamedAndNeverStarted() throws {
            let sandbox = try Sandbox()
            let target = try sandbox.makeDirectory("half")
            FileManager.default.createFile(atPath: target + "/" + RestoreMarker.fileName, contents: Data())
            let starter = PostgresStarter(dataDirectory: target, owner: try FileOwner(name: "postgres"), binDirectory: "/nonexistent", log: Log())
            #expect(throws: RestoreError.interrupted(directory: target)) { try starter.start() }
        }
    }
}
