import Foundation
import Testing
import PITRStorage
import TestSupport

extension PostgreSQLIntegration {
    /// A restore that needs a backup and WAL moved into GLACIER and DEEP_ARCHIVE (by a CopyObject in place on moto, as a
    /// lifecycle rule would): the plan names the thaw, wal-fetch and verify meet the archived objects by name, `--thaw`
    /// requests the thaw (the fault proxy holding it under way, as S3 does for hours), `--resume` goes on once it is done,
    /// and the copy holds exactly the backup's rows. On every supported major.
    @Suite
    struct S3Thaw {
        /// A cluster of `major` archiving through the fault proxy into a new moto bucket (lz4, encrypted): `rows` rows, a
        /// backup, `then` rows more, all archived.
        static func archived(_ bucket: String, rows: Int, then: Int, major: Int) throws -> (FaultProxy, S3Storage, RestoreSource) {
            let proxy = try FaultProxy(upstream: try S3Services.moto.get())
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket(bucket, prefix: "pg")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: proxy.endpoint, compression: "lz4", encrypted: true)
            let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown, major: major)
            try source.commitRows(rows)
            try source.backup()
            try source.commitRows(then)
            try source.archiveAll()
            return (proxy, storage, source)
        }

        @Test(arguments: PostgreSQL.supportedMajors)
        func aRestoreFromAnArchivedBackupThawsItThenHasExactlyItsRows(major: Int) throws {
            let (proxy, storage, source) = try Self.archived("it-thaw", rows: 3, then: 2, major: major)
            defer { proxy.stop() }
            let (sandbox, tailtown) = (source.sandbox, source.tailtown)
            let restore = RestoreRun(source: source)

            // What the restore reads, as the plan says before anything is archived.
            let (plain, _) = try restore.run(["--immediate", "--dry-run"], into: "plain")
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(!plain.stdout.contains("archived:"), "\(plain.stdout)")
            let walLine = try #require(plain.stdout.split(separator: "\n").first { $0.contains("WAL: ") }, "\(plain.stdout)")
            let words = walLine.split(separator: " ")
            let (firstSegment, lastSegment) = (String(words[1]), String(words[3].dropLast()))
            let objects = try storage.listObjects(prefix: "")
            let pieces = objects.filter { $0.key.hasPrefix("backups/") && !$0.key.hasSuffix("/backup.info") }
            let segments = objects.filter { $0.key.hasPrefix("wal/") && $0.key.split(separator: "/").last.map { $0.count == 24 && $0 >= firstSegment && $0 <= lastSegment } == true }
            let backupName = String(pieces[0].key.split(separator: "/")[1])
            #expect(!pieces.isEmpty && !segments.isEmpty)
            for piece in pieces { try MotoServer.setStorageClass(bucket: storage.configuration.bucket, key: "pg/" + piece.key, "GLACIER") }
            for segment in segments.dropLast() { try MotoServer.setStorageClass(bucket: storage.configuration.bucket, key: "pg/" + segment.key, "GLACIER") }
            let deepSegment = try #require(segments.last)
            try MotoServer.setStorageClass(bucket: storage.configuration.bucket, key: "pg/" + deepSegment.key, "DEEP_ARCHIVE")
            let archivedCount = pieces.count + segments.count
            // The restore reads every piece but the block checksums (which only the next incremental backup-push reads).
            let read = pieces.filter { !$0.key.contains("/blocksums") }
            let planned = read.count + segments.count

            // wal-fetch of a segment not thawed names it and its state, and stops recovery (200): never "not found" (1).
            let destination = try sandbox.makeDirectory("fetched") + "/RECOVERYXLOG"
            let fetched = try tailtown.fetch(firstSegment, to: destination, in: source.cluster.dataDirectory)
            #expect(fetched.status == 200, "\(fetched.stderr)")
            #expect(fetched.stderr.contains("InvalidObjectState") && fetched.stderr.contains(firstSegment), "\(fetched.stderr)")

            // verify --deep skips them and says so; nothing else is wrong.
            let verify = try sandbox.tailtown(["--config", tailtown.configFile, "verify", "--deep"])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("skipped \(archivedCount) objects in an archive storage class, not thawed, so not read"), "\(verify.stdout)")
            #expect(verify.stdout.contains(storage.describe(deepSegment.key)), "\(verify.stdout)")

            // The plan names the thaw: which objects, their bytes, the tiers' times.
            let (dry, _) = try restore.run(["--immediate", "--dry-run"], into: "dry")
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("archived: backup \(backupName), \(read.count) object\(read.count == 1 ? "" : "s") in GLACIER"), "\(dry.stdout)")
            if segments.count > 1 {
                #expect(dry.stdout.contains("archived: WAL, \(segments.count - 1) object\(segments.count == 2 ? "" : "s") in GLACIER"), "\(dry.stdout)")
            }
            #expect(dry.stdout.contains("archived: WAL, 1 object in DEEP_ARCHIVE (\(lastSegment))"), "\(dry.stdout)")
            // Each tier's cost at AWS's list prices: GLACIER $0.03/GB and $10 per 1000 requests expedited, $0.01/GB and $0.05 standard,
            // bulk free; DEEP_ARCHIVE $0.02/GB and $0.10 standard, $0.0025/GB and $0.025 bulk.
            let glacier = read + segments.dropLast()
            let glacierGB = Double(glacier.reduce(0) { $0 + $1.size }) / 1_073_741_824, deepGB = Double(deepSegment.size) / 1_073_741_824
            let glacierCount = Double(glacier.count)
            #expect(dry.stdout.contains("thaw of GLACIER: expedited 1-5 minutes ($\(cents(glacierGB * 0.03 + glacierCount * 0.01))), "
                                        + "standard 3-5 hours ($\(cents(glacierGB * 0.01 + glacierCount * 0.000_05))), bulk 5-12 hours ($0.00)"), "\(dry.stdout)")
            #expect(dry.stdout.contains("thaw of DEEP_ARCHIVE: expedited not offered, standard within 12 hours ($\(cents(deepGB * 0.02 + 0.000_1))), "
                                        + "bulk within 48 hours ($\(cents(deepGB * 0.0025 + 0.000_025)))"), "\(dry.stdout)")
            #expect(dry.stdout.contains("thaw: 0 of \(planned) objects readable"), "\(dry.stdout)")

            // Without --thaw, or with a tier DEEP_ARCHIVE lacks, nothing is requested and nothing written.
            try restore.expectRefusal(["--immediate"], into: "unthawed", "\(planned) objects the restore reads are in an archive storage class and not thawed")
            _ = try proxy.log()
            try restore.expectRefusal(["--immediate", "--thaw", "expedited"], into: "expedited", "DEEP_ARCHIVE has no expedited thaw (1 object, such as \(storage.describe(deepSegment.key))")
            #expect(try proxy.log().filter { $0.method == "POST" }.isEmpty)

            // --thaw requests it; the thaw is under way (held by the proxy): exit 75 with the --resume hint.
            proxy.holdThaw(heads: 4 * planned)
            let (requested, requestedCopy) = try restore.run(["--immediate", "--thaw", "standard", "--thaw-days", "2"], into: "copy")
            #expect(requested.status == 75, "\(requested.stdout)\(requested.stderr)")
            #expect(requested.stdout.contains("thaw requested (standard, readable for 2 days): \(planned) started, 0 already in progress, 0 already readable; "
                                              + "expected: GLACIER 3-5 hours, DEEP_ARCHIVE within 12 hours"), "\(requested.stdout)")
            #expect(requested.stdout.contains("thaw: 0 of \(planned) objects readable (0 B), \(planned) in progress, 0 not requested"), "\(requested.stdout)")
            #expect(requested.stderr.contains("run the same restore again with --resume once thawed"), "\(requested.stderr)")
            #expect(!FileManager.default.fileExists(atPath: requestedCopy.directory))
            let posts = try proxy.log().filter { $0.method == "POST" }
            #expect(posts.count == planned && posts.allSatisfy { $0.path.contains("?restore") && $0.status == 202 })

            // Asking again while it is under way is progress (409 RestoreAlreadyInProgress), not an error.
            let (again, _) = try restore.run(["--immediate", "--thaw", "standard"], into: "copy")
            #expect(again.status == 75, "\(again.stdout)\(again.stderr)")
            #expect(again.stdout.contains("0 started, \(planned) already in progress"), "\(again.stdout)")
            let repeated = try proxy.log().filter { $0.method == "POST" }
            #expect(repeated.count == planned && repeated.allSatisfy { $0.fault == "hold" }, "answered 409 RestoreAlreadyInProgress")

            // --resume waits (checking every 0.2 s here), shows the progress, then restores as usual.
            let (resumed, copy) = try restore.run(["--immediate", "--resume", "--thaw-wait", "0.2", "--start"], into: "copy")
            #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
            #expect(resumed.stdout.contains("\(planned) in progress"), "\(resumed.stdout)")
            #expect(resumed.stdout.contains("thaw: \(planned) of \(planned) objects readable"), "\(resumed.stdout)")
            #expect(try proxy.log().filter { $0.method == "POST" }.isEmpty, "--resume requests nothing")
            defer { copy.stop() }
            #expect(try copy.ids() == [1, 2, 3])

            // What the restore did not read is still archived: verify --thaw requests it, and the next verify reads everything.
            let left = pieces.count - read.count
            let thawing = try sandbox.tailtown(["--config", tailtown.configFile, "verify", "--deep", "--thaw", "bulk"])
            #expect(thawing.status == 0, "\(thawing.stdout)\(thawing.stderr)")
            if left > 0 {
                #expect(thawing.stdout.contains("skipped \(left) object\(left == 1 ? "" : "s") in an archive storage class"), "\(thawing.stdout)")
                #expect(thawing.stdout.contains("thaw requested (bulk, readable for 3 days): \(left) started"), "\(thawing.stdout)")
            }
            let thawed = try sandbox.tailtown(["--config", tailtown.configFile, "verify", "--deep"])
            #expect(thawed.status == 0 && thawed.stdout.contains("all is well") && !thawed.stdout.contains("skipped"), "\(thawed.stdout)\(thawed.stderr)")
        }

        /// A target past the stop of a backup moved into GLACIER with its WAL (as a monthly one is), in WAL that moved with
        /// it: where the target lies is known only by decoding that WAL, so the plan thaws every archived segment the search
        /// may read with the backup, `--resume` places the target in the thawed WAL, and the copy stops exactly there.
        @Test(arguments: PostgreSQL.supportedMajors)
        func aTargetPastAnArchivedBackupInArchivedWALIsThawedThenPlaced(major: Int) throws {
            let (proxy, storage, source) = try Self.archived("it-thaw-target", rows: 2, then: 3, major: major)
            defer { proxy.stop() }
            // Descriptors are too small to move (docs/s3.md, "Storage classes").
            let moved = try storage.listObjects(prefix: "").filter {
                ($0.key.hasPrefix("backups/") && !$0.key.hasSuffix("/backup.info")) || $0.key.split(separator: "/").last?.count == 24
            }
            // WAL archived later (the PITR window's) stays in STANDARD.
            try source.commitRows(2)
            try source.archiveAll()
            let restore = RestoreRun(source: source)
            let target = try source.timeBetween(3)
            let (plain, _) = try restore.run(["--to", target, "--dry-run"], into: "plain")
            #expect(plain.status == 0 && !plain.stdout.contains("archived:"), "\(plain.stdout)\(plain.stderr)")
            let walLine = try #require(plain.stdout.split(separator: "\n").first { $0.contains("WAL: ") }, "\(plain.stdout)")
            let firstSegment = String(walLine.split(separator: " ")[1])
            for object in moved { try MotoServer.setStorageClass(bucket: storage.configuration.bucket, key: "pg/" + object.key, "GLACIER") }
            let pieces = moved.filter { $0.key.hasPrefix("backups/") && !$0.key.contains("/blocksums") }
            let segments = moved.filter { $0.key.hasPrefix("wal/") && String($0.key.split(separator: "/").last ?? "") >= firstSegment }
            let planned = pieces.count + segments.count
            #expect(!pieces.isEmpty && segments.count >= 2, "\(moved.map(\.key))")

            // Every kind of target past the stop plans without reading the archived WAL, naming it for the thaw.
            for arguments in [["--to", target], ["--xid", String(source.rows[3].xid)], ["--lsn", source.rows[3].lsnAfter]] {
                let (dry, _) = try restore.run(arguments + ["--dry-run"], into: "dry")
                #expect(dry.status == 0 && dry.stdout.contains("archived: WAL, "), "\(arguments): \(dry.stdout)\(dry.stderr)")
                // An LSN needs no search: its plan reads the WAL up to it. The others search all the archived WAL past the stop.
                guard arguments[0] != "--lsn" else { continue }
                #expect(dry.stdout.contains("archived: WAL, \(segments.count) objects in GLACIER"), "\(arguments): \(dry.stdout)")
                #expect(dry.stdout.contains("thaw: 0 of \(planned) objects readable"), "\(arguments): \(dry.stdout)")
                #expect(dry.stdout.contains("stop: placed once the WAL in archive storage classes is thawed"), "\(arguments): \(dry.stdout)")
            }
            try restore.expectRefusal(["--to", target], into: "unthawed", "\(planned) objects the restore reads are in an archive storage class and not thawed")

            // --thaw requests exactly those; held under way by the proxy: exit 75, nothing written.
            _ = try proxy.log()
            proxy.holdThaw(heads: 2 * planned)
            let (requested, requestedCopy) = try restore.run(["--to", target, "--thaw", "bulk", "--thaw-days", "1"], into: "copy")
            #expect(requested.status == 75, "\(requested.stdout)\(requested.stderr)")
            #expect(requested.stdout.contains("thaw requested (bulk, readable for 1 day): \(planned) started"), "\(requested.stdout)")
            #expect(!FileManager.default.fileExists(atPath: requestedCopy.directory))
            let posts = try proxy.log().filter { $0.method == "POST" }
            #expect(Set(posts.map { String($0.path.split(separator: "?")[0]) }) == Set((pieces + segments).map { "/\(storage.configuration.bucket)/pg/\($0.key)" }),
                    "\(posts.map(\.path))")

            // --resume waits for it, places the target in the thawed WAL, and the copy holds the rows committed before it.
            let (resumed, copy) = try restore.run(["--to", target, "--resume", "--thaw-wait", "0.2", "--start"], into: "copy")
            defer { copy.stop() }
            #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
            #expect(resumed.stdout.contains("thaw: \(planned) of \(planned) objects readable"), "\(resumed.stdout)")
            #expect(resumed.stdout.contains("plan, the target placed in the thawed WAL:"), "\(resumed.stdout)")
            #expect(resumed.stdout.contains("stop: just before the first commit or abort after the target, the record at"), "\(resumed.stdout)")
            #expect(try proxy.log().filter { $0.method == "POST" }.isEmpty, "--resume requests nothing")
            #expect(try copy.ids() == [1, 2, 3])
        }
    }
}

extension PostgreSQLIntegration.S3Thaw {
    /// The restore drill when the backup it would use lies in GLACIER: it says so and drills the newest backup that needs
    /// no thaw; with `--thaw` it thaws that backup and drills it (moto thaws at once). dump-fetch of a dump in GLACIER names
    /// the thaw, and with `--thaw` fetches it.
    @Test(arguments: PostgreSQL.supportedMajors)
    func aDrillOrADumpFetchOfArchivedObjectsNamesOrRequestsTheThaw(major: Int) throws {
        let sandbox = try Sandbox()
        let storage = try S3Services.makeBucket("it-thaw-drill", prefix: "pg")
        let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(), compression: "lz4", encrypted: false)
        let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown, major: major)
        let bin = try PostgreSQL.binDirectory(major: major)
        try source.commitRows(1)
        try source.backup()
        let older = try #require(try storage.listObjects(prefix: "backups/").first).key.split(separator: "/")[1]
        try source.commitRows(1)
        try source.backup()
        try source.commitRows(1)
        try source.archiveAll()
        let newer = try #require(try storage.listObjects(prefix: "backups/").map { $0.key.split(separator: "/")[1] }.first { $0 != older })
        let pieces = try storage.listObjects(prefix: "backups/\(newer)/").filter { !$0.key.hasSuffix("/backup.info") }
        for piece in pieces { try MotoServer.setStorageClass(bucket: storage.configuration.bucket, key: "pg/" + piece.key, "GLACIER") }
        let read = pieces.filter { !$0.key.contains("/blocksums") }.count
        let scratch = try sandbox.makeDirectory("scratch")
        func drill(_ extra: [String]) throws -> CommandResult {
            try sandbox.tailtown(["--config", tailtown.configFile, "verify", "--restore-test", "--scratch-dir", scratch, "--pg-bin", bin,
                                  "--check-sql", "SELECT count(*) FROM ticks => = 3"] + extra)
        }

        let other = try drill([])
        #expect(other.status == 0 && other.stdout.contains("restore test of backup \(older):"), "\(other.stdout)\(other.stderr)")
        #expect(other.stdout.contains("note: \(read) object\(read == 1 ? "" : "s") the drill of backup \(newer) reads \(read == 1 ? "is" : "are") in an archive storage class "
                                      + "and not thawed: drilling backup \(older) instead, the newest that needs no thaw"), "\(other.stdout)")

        let thawed = try drill(["--thaw", "expedited", "--thaw-days", "1"])
        #expect(thawed.status == 0 && thawed.stdout.contains("restore test of backup \(newer):"), "\(thawed.stdout)\(thawed.stderr)")
        #expect(thawed.stdout.contains("note: thaw requested (expedited, readable for 1 day): \(read) started"), "\(thawed.stdout)")
        #expect(thawed.stdout.hasSuffix("restore test passed\n"), "\(thawed.stdout)")

        try sandbox.tailtown(["--config", tailtown.configFile, "dump-push", "--dbname", source.cluster.conninfo, "--pg-bin", bin]).check()
        let dumped = try storage.listObjects(prefix: "dumps/").filter { $0.key.hasSuffix(".0000") }
        let run = try #require(dumped.first).key.split(separator: "/")[1]
        for object in dumped { try MotoServer.setStorageClass(bucket: storage.configuration.bucket, key: "pg/" + object.key, "GLACIER") }
        let file = sandbox.path("postgres.dump")
        let fetch = ["--config", tailtown.configFile, "dump-fetch", String(run), "--database", "postgres", "-o", file]
        let refused = try sandbox.tailtown(fetch)
        #expect(refused.status == 1 && refused.stderr.contains("dump \(run) db.postgres lies in an archive storage class, thaw: 0 of 1 objects readable")
                && refused.stderr.contains("add --thaw expedited|standard|bulk"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: file))
        let fetched = try sandbox.tailtown(fetch + ["--thaw", "expedited"])
        #expect(fetched.status == 0 && fetched.stderr.contains("thaw requested (expedited, readable for 3 days): 1 started"), "\(fetched.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0 > 0)
    }
}

/// Dollars with two decimals, as the plan prints them.
private func cents(_ dollars: Double) -> String {
    let hundredths = Int((dollars * 100).rounded())
    return "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
}
