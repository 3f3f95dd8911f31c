import Foundation
import Testing
import PITRStorage
import TestSupport

extension PostgreSQLIntegration {
    /// An attacker holding the archiver's credentials deletes, without a version id, a WAL segment a restore needs, the
    /// backup's base piece and its descriptor in a repository under S3 Object Lock (moto, a lock-enabled bucket): each is
    /// only hidden by a delete marker, and `restore --to` still finds the backup and the WAL, reads them through the
    /// markers with one warning naming each and a sum at the end, and holds exactly the rows committed up to its target
    /// (docs/s3.md, "Object Lock"); so does the restore drill (`verify --restore-test`).
    @Suite
    struct S3DeleteMarkerRestore {
        @Test func restoreReadsThroughDeleteMarkers() throws {
            let sandbox = try Sandbox()
            let proxy = try FaultProxy(upstream: try S3Services.moto.get())
            defer { proxy.stop() }
            let storage = try S3Services.makeBucket("it-markers", prefix: "pg/main", objectLock: true)
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: proxy.endpoint, compression: "zstd",
                                                    encrypted: true, extra: ["TAILTOWN_S3_OBJECT_LOCK=governance"])
            let source = try RestoreSource(sandbox: sandbox, tailtown: tailtown)
            try source.commitRows(3)
            try source.backup()
            try source.commitRows(6)
            // Rows 4 to 6 are in the segment this switch closes, which no backup holds.
            let segment = try source.cluster.switchWAL()
            try source.commitRows(3)
            try source.archiveAll()
            try source.cluster.stop()
            let restore = RestoreRun(source: source)

            // Before: what a restore through no marker costs.
            _ = try proxy.log()
            try restore.expectRows(["--to", try source.timeBetween(6)], into: "before", Array(1...6))
            let before = try proxy.log()

            let keys = try storage.list(prefix: "")
            let hidden = try [
                #require(keys.first { $0.hasPrefix("wal/") && $0.hasSuffix("/" + segment) }),
                #require(keys.first { $0.hasPrefix("backups/") && $0.hasSuffix("/base.tar.0000") }),
                #require(keys.first { $0.hasPrefix("backups/") && $0.hasSuffix("/backup.info") }),
            ]
            // `storage` has no lock setting: its DELETE carries no version id, as the attacker's would.
            for key in hidden { try storage.remove(key) }
            #expect(try Set(storage.list(prefix: "")).isDisjoint(with: hidden), "the markers hide the objects from a plain listing")

            let (result, copy) = try restore.run(["--to", try source.timeBetween(6), "--start"], into: "after")
            defer { copy.stop() }
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(try copy.ids() == Array(1...6))
            let log = try proxy.log()
            // Each object is warned of once, however often the restore meets it, and the restore ends with the sum.
            for key in hidden {
                let warnings = result.stderr.components(separatedBy: "\(storage.describe(key)) is hidden by a delete marker").count - 1
                #expect(warnings == 1, "\(warnings) warnings name \(key): \(result.stderr)")
            }
            #expect(result.stderr.contains("3 objects were read through delete markers: first "), "\(result.stderr)")
            // With the lock, a listing is a listing of the versions (never of the objects), in as many requests; each read of
            // a hidden object adds a 404 and a listing of that key's versions, and reads the version instead of the object.
            func count(_ entries: [FaultProxy.Entry], _ test: (FaultProxy.Entry) -> Bool) -> Int { entries.filter(test).count }
            func lookups(of key: String) -> (FaultProxy.Entry) -> Bool {
                let query = "prefix=" + "pg/main/\(key)".replacingOccurrences(of: "/", with: "%2F")
                return { $0.path.contains("versions") && $0.path.split(whereSeparator: { "?&".contains($0) }).contains { $0 == query } }
            }
            let versions: (FaultProxy.Entry) -> Bool = { $0.method == "GET" && $0.path.contains("versions") }
            print("restore through 3 delete markers: \(log.count) requests against \(before.count) with none; listings of versions "
                + "\(count(log, versions)) against \(count(before, versions)), of which of one hidden key "
                + hidden.map { String(count(log, lookups(of: $0))) }.joined(separator: "+") + "; 404s \(count(log) { $0.status == 404 }) against "
                + "\(count(before) { $0.status == 404 }); reads of a version \(count(log) { $0.path.contains("versionId=") })")
            #expect(count(log + before) { $0.path.contains("list-type=2") } == 0)
            for key in hidden {
                #expect(count(log, lookups(of: key)) >= 1 && count(before, lookups(of: key)) == 0, "\(key)")
            }
            #expect(count(log) { $0.path.contains("versionId=") } >= hidden.count)

            // The restore drill reads the backup through the same markers, and ends with the same sum.
            let drill = try sandbox.tailtown(["--config", tailtown.configFile, "verify", "--restore-test", "--to", try source.timeBetween(6),
                                              "--scratch-dir", try sandbox.makeDirectory("scratch"), "--pg-bin", try PostgreSQL.binDirectory(major: source.cluster.major),
                                              "--check-sql", "SELECT count(*) FROM ticks => = 6"])
            #expect(drill.status == 0 && drill.stdout.hasSuffix("restore test passed\n"), "\(drill.stdout)\(drill.stderr)")
            let sum = drill.stderr.split(separator: "\n").filter { $0.contains(" read through delete markers: first ") }
            #expect(sum.count == 1 && drill.stderr.hasSuffix(String(sum[0]) + "\n"), "\(drill.stderr)")
            for key in hidden.dropFirst() {
                #expect(drill.stderr.contains("\(storage.describe(key)) is hidden by a delete marker"), "\(drill.stderr)")
            }
        }
    }
}
