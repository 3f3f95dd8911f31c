import Foundation
import Testing


extension PostgreSQLIntegration {
    /// `backup-push` and `backup-list` as processes: summary line, listing, JSON, and a backup killed
    /// or interrupted mid-stream that is never listed.
    @Suite struct BackupCommandTests {
        /// A cluster with a few hundred MB so that a backup takes long enough to be stopped mid-stream, and a small
        /// tablespace: the server sends its archive before base.tar, so one object is stored before base.tar's upload starts.
        static func makeCluster(scale: Int) throws -> ArchivedCluster {
            let archived = try ArchivedCluster.make(compression: "lz4", encrypted: true)
            try archived.cluster.pgbench(["-i", "-s", String(scale), "-q"])
            let tablespace = try archived.sandbox.makeDirectory("tablespace")
            _ = try archived.cluster.query("create tablespace side location '\(tablespace)'")
            _ = try archived.cluster.query("create table on_side tablespace side as select g from generate_series(1, 1000) g")
            return archived
        }

        /// tailtown-pitr with the test's config, as the user running the tests (like `stopMidStream`'s process, whose
        /// folders under backups/ are that user's).
        static func tailtown(_ archived: ArchivedCluster, _ arguments: [String]) throws -> CommandResult {
            try Command.run(archived.sandbox.binary, ["--config", archived.tailtown.configFile] + arguments)
        }

        /// What stopMidStream saw in the repository when it sent the signal.
        struct Stopped {
            let status: Int32
            let stderr: String
            /// The files under backups/ (hidden temporaries included) at the moment of the signal.
            let filesAtSignal: [String]
        }

        /// Starts backup-push and waits for the moment a test means: the tablespace's object stored and base.tar's upload
        /// in flight (its hidden temporary exists). It then stops the process (SIGSTOP), notes what the repository
        /// holds, sends `signal` and lets the process go on (SIGCONT), so the signal lands at that moment, not by chance.
        static func stopMidStream(_ archived: ArchivedCluster, signal: Int32) throws -> Stopped {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: archived.sandbox.binary)
            process.arguments = ["--config", archived.tailtown.configFile, "backup-push", "--dbname", archived.cluster.conninfo]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let backups = archived.tailtown.repository.root + "/backups"
            let midStream = { (files: [String]) -> Bool in
                files.contains { isStoredObject($0) && !$0.hasSuffix("/base.tar.0000") } && files.contains(where: isBaseUploadInFlight)
            }
            try waitUntil("a stored tablespace object and base.tar's upload in flight", seconds: 120) { midStream(files(under: backups)) }
            stopProcess(process.processIdentifier)
            let atSignal = files(under: backups)
            kill(process.processIdentifier, signal)
            kill(process.processIdentifier, SIGCONT)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(midStream(atSignal), "the signal did not land mid-stream: \(atSignal)")
            return Stopped(status: process.terminationStatus, stderr: stderr, filesAtSignal: atSignal)
        }

        /// Every file under `folder`, hidden ones included, as paths relative to it.
        static func files(under folder: String) -> [String] {
            (FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []).filter { relative in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
        }

        /// "<backup>/<archive>.tar.NNNN": an object committed under its name.
        static func isStoredObject(_ relative: String) -> Bool {
            let name = (relative as NSString).lastPathComponent
            return !name.hasPrefix(".") && name.contains(".tar.")
        }

        /// "<backup>/.base.tar.0000.<pid>.tmp": base.tar's first object being written.
        static func isBaseUploadInFlight(_ relative: String) -> Bool {
            let name = (relative as NSString).lastPathComponent
            return name.hasPrefix(".base.tar.0000.") && name.hasSuffix(".tmp")
        }

        static func listed(_ archived: ArchivedCluster) throws -> String {
            try tailtown(archived, ["backup-list"]).check()
        }

        @Test func pushPrintsASummaryAndListShowsTheBackup() throws {
            let archived = try Self.makeCluster(scale: 2)
            defer { try? archived.stop() }
            let summary = try Self.tailtown(archived, ["backup-push", "--dbname", archived.cluster.conninfo]).check()
            #expect(summary.hasPrefix("backup ") && summary.contains(" raw, ") && summary.contains("LSN "))
            #expect(summary.split(separator: "\n").count == 1, "one summary line on a non-terminal: \(summary)")
            let table = try Self.listed(archived)
            let name = String(summary.split(separator: " ")[1].dropLast())
            #expect(table.split(separator: "\n").count == 2 && table.contains(name))
            let slow = try Self.tailtown(archived, ["backup-push", "--dbname", archived.cluster.conninfo, "--checkpoint", "slow"])
            #expect(slow.status != 0 && slow.stderr.contains("--checkpoint must be fast or spread, not 'slow'"), "\(slow.status): \(slow.stderr)")
            let json = try Self.tailtown(archived, ["backup-list", "--json"]).check()
            let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
            #expect(parsed?.first?["name"] as? String == name)
            #expect(parsed?.first?["cipher"] as? String == "aes-256-gcm")
        }

        @Test func killedMidStreamLeavesNothingListed() throws {
            let archived = try Self.makeCluster(scale: 30)
            defer { try? archived.stop() }
            let stopped = try Self.stopMidStream(archived, signal: SIGKILL)
            #expect(stopped.status == SIGKILL)
            #expect(try Self.listed(archived).split(separator: "\n").count == 1, "only the header")
            let descriptors = FileManager.default.enumerator(atPath: archived.tailtown.repository.root + "/backups")?
                .compactMap { $0 as? String }.filter { $0.hasSuffix("backup.info") } ?? []
            #expect(descriptors.isEmpty)
            // The server let go of the backup: another one succeeds.
            try Self.tailtown(archived, ["backup-push", "--dbname", archived.cluster.conninfo]).check()
            #expect(try Self.listed(archived).split(separator: "\n").count == 2)
        }

        @Test func ctrlCAbortsCleanly() throws {
            let archived = try Self.makeCluster(scale: 30)
            defer { try? archived.stop() }
            let stopped = try Self.stopMidStream(archived, signal: SIGINT)
            #expect(stopped.status == 1)
            #expect(stopped.stderr.contains("backup interrupted"), "\(stopped.stderr)")
            // The stored object and the upload in flight are both gone: nothing is left, hidden temporaries included.
            let left = Self.files(under: archived.tailtown.repository.root + "/backups")
            #expect(left.isEmpty, "left after Ctrl-C: \(left); there at the signal: \(stopped.filesAtSignal)")
            #expect(try Self.listed(archived).split(separator: "\n").count == 1)
        }
    }
}
