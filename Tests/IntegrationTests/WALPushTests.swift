import Foundation
import Testing

extension PostgreSQLIntegration {
    /// wal-push of a name already in the archive: the same bytes succeed, different bytes fail and change nothing.
    @Suite struct WALPushOverwrite {
        /// Success for a file already archived is a promise PostgreSQL acts on (it recycles the file), so the object
        /// and its folder are fsynced first: whoever stored it may have crashed before they were durable.
        @Test func pushingTheSameSegmentTwiceSucceedsBothTimes() throws {
            let archived = try ArchivedCluster.make()
            #expect(FileManager.default.fileExists(atPath: archived.walFile), "precondition: \(archived.walFile) still in pg_wal")
            for attempt in 1...2 {
                let result = try archived.tailtown.push("pg_wal/" + archived.segment, in: archived.cluster.dataDirectory)
                #expect(result.status == 0, "push \(attempt) of an archived segment: \(result.stderr)")
            }
            // Once more under strace (-y: each descriptor with its path).
            let trace = archived.sandbox.path("push.strace")
            let traced = try Command.runAsPostgres("/usr/bin/strace", [
                "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync", "-o", trace,
                archived.sandbox.binary, "--config", archived.tailtown.configFile, "wal-push", "pg_wal/" + archived.segment,
            ], in: archived.cluster.dataDirectory)
            #expect(traced.status == 0, "\(traced.stderr)")
            #expect(traced.stderr.contains("already archived with the same content"), "\(traced.stderr)")
            let synced = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains("fsync(") && $0.hasSuffix("= 0") }
            let folder = (archived.object as NSString).deletingLastPathComponent
            #expect(synced.contains { $0.contains("<\(archived.object)>") }, "the object was not fsynced: \(synced)")
            #expect(synced.contains { $0.contains("<\(folder)>") }, "its folder was not fsynced: \(synced)")
            try archived.stop()
        }

        @Test func pushingDifferentBytesUnderAnArchivedNameFailsAndChangesNothing() throws {
            let archived = try ArchivedCluster.make()
            let before = try contents(of: archived.object)

            // Same name, one payload byte changed (page headers intact), outside pg_wal: run from the data directory
            // so tailtown-pitr still finds the cluster it belongs to.
            var tampered = try contents(of: archived.walFile)
            tampered[5_000] ^= 0xFF
            let tamperedPath = try archived.sandbox.makeDirectory("tampered") + "/" + archived.segment
            try tampered.write(to: URL(fileURLWithPath: tamperedPath))
            try Sandbox.giveToPostgres(tamperedPath, mode: 0o600)

            let result = try archived.tailtown.push(tamperedPath, in: archived.cluster.dataDirectory)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains("WAL file '\(tamperedPath)' is already archived as") && result.stderr.contains("with different content"),
                    "the error should name the segment and the conflict: \(result.stderr)")
            #expect(try contents(of: archived.object) == before, "the archived object changed")
            try archived.stop()
        }
    }
}

extension PostgreSQLIntegration {
    /// A backup history file (`<segment>.<offset>.backup`) made by the real cluster goes through wal-push into the archive
    /// and comes back through wal-fetch; a copy under another name is refused both ways, before anything is stored or
    /// handed over.
    @Suite struct BackupHistoryArchiving {
        @Test func aRealBackupHistoryFileIsArchivedAndFetchedAndAMisnamedCopyIsNot() throws {
            let archived = try ArchivedCluster.make()
            defer { try? archived.stop() }
            let cluster = archived.cluster
            // One session, so the backup stopped is the one started; PostgreSQL archives the file it writes through wal-push.
            try Command.runAsPostgres(try cluster.tool("psql"), [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster.sandbox.root, "-p", String(cluster.port), "-U", "postgres", "-d", "postgres",
                "-c", "select pg_backup_start('tailtown backup history', true)", "-c", "select pg_backup_stop(false)",
            ]).check()
            let wal = cluster.dataDirectory + "/pg_wal"
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: wal).first { $0.hasSuffix(".backup") })
            let real = try contents(of: wal + "/" + name)
            let object = archived.tailtown.repository.segmentObject(name, systemIdentifier: archived.systemIdentifier)
            try waitUntil("\(name) to be archived", detail: { cluster.logTail() }) {
                if try cluster.archiveFailures() != 0 { throw HarnessError.archivingFailed(segment: name, serverLog: cluster.logTail()) }
                return FileManager.default.fileExists(atPath: object)
            }

            // Fetched back as it was written.
            let fetched = try archived.sandbox.makeDirectory("fetched")
            let fetch = try archived.tailtown.fetch(name, to: fetched + "/" + name, in: cluster.dataDirectory)
            #expect(fetch.status == 0, "\(fetch.stderr)")
            #expect(try contents(of: fetched + "/" + name) == real)

            // The same bytes under the name of a backup starting 8 bytes later, and under the next segment's name: refused
            // by wal-push, nothing stored.
            let parts = name.split(separator: ".")
            let offset = try #require(UInt32(parts[1], radix: 16))
            let segment = String(parts[0])
            let nextSegment = String(segment.prefix(16)) + String(format: "%08X", (UInt32(segment.suffix(8), radix: 16) ?? 0) + 1)
            let misnamed = [segment + "." + String(format: "%08X", offset + 8) + ".backup", nextSegment + "." + parts[1] + ".backup"]
            let tampered = try archived.sandbox.makeDirectory("tampered")
            for other in misnamed {
                let path = tampered + "/" + other
                try real.write(to: URL(fileURLWithPath: path))
                try Sandbox.giveToPostgres(path, mode: 0o600)
                let push = try archived.tailtown.push(path, in: cluster.dataDirectory)
                #expect(push.status == 1, "\(other): \(push.stderr)")
                #expect(push.stderr.contains("backup history file '\(path)' is named \(other)"), "\(push.stderr)")
                #expect(push.stderr.contains("which names it \(name)"), "\(push.stderr)")
                #expect(!FileManager.default.fileExists(atPath: archived.tailtown.repository.segmentObject(other, systemIdentifier: archived.systemIdentifier)))
            }
            // Content that is no backup history file at all, under a good name.
            let garbage = tampered + "/" + misnamed[0]
            try Data(repeating: 0, count: 8192).write(to: URL(fileURLWithPath: garbage))
            let push = try archived.tailtown.push(garbage, in: cluster.dataDirectory)
            #expect(push.status == 1 && push.stderr.contains("is not one PostgreSQL writes"), "\(push.stderr)")

            // The archived object copied to another name in the repository: wal-fetch stops recovery (200) and hands
            // nothing over.
            for other in misnamed {
                let copy = archived.tailtown.repository.segmentObject(other, systemIdentifier: archived.systemIdentifier)
                try FileManager.default.createDirectory(atPath: (copy as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: object, toPath: copy)
                try Sandbox.giveToPostgres(copy, mode: 0o600)
                let destination = fetched + "/" + other
                let result = try archived.tailtown.fetch(other, to: destination, in: cluster.dataDirectory)
                #expect(result.status == 200, "\(other): \(result.stderr)")
                #expect(!FileManager.default.fileExists(atPath: destination))
                #expect(try FileManager.default.contentsOfDirectory(atPath: fetched) == [name], "nothing but the good file is left")
            }
        }
    }
}
