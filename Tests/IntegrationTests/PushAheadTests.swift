import Foundation
import Testing


extension PostgreSQLIntegration {
    /// The background pusher stores the next `.ready` segments ahead of PostgreSQL's calls (docs/configuration.md, "Push-ahead and prefetch").
    @Suite struct PushAhead {
        /// Under a pgbench write load to an s3:// repository: no failed archive_command, the backlog drains,
        /// every segment is stored once, and PostgreSQL's calls really found segments pushed ahead.
        @Test func pgbenchOnS3DrainsTheBacklogAndStoresEverySegmentOnce() throws {
            let sandbox = try Sandbox()
            let storage = try S3Services.makeBucket("it-ahead", prefix: "pa")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: try S3Services.moto.get(), compression: "lz4",
                                                    encrypted: true, extra: ["TAILTOWN_LOG_LEVEL=debug", "TAILTOWN_UPLOAD_CONCURRENCY=3"])
            let primary = try PostgresCluster.initialize(in: sandbox, name: "primary")
            // The initial load runs before archive_command is set: a backlog of `.ready` segments is certain,
            // whatever the machine's speed, and the transactions then run while wal-push works through it.
            try primary.configure([("archive_mode", "on"), ("archive_command", "")])
            try primary.start()
            try primary.pgbench(["-i", "-q", "-s", "10"])
            _ = try primary.query("alter system set archive_command = '\(tailtown.archiveCommand)'")
            _ = try primary.query("select pg_reload_conf()")
            try primary.pgbench(["-n", "-c", "2", "-j", "2", "-t", "2000"])
            let lastName = try primary.switchWAL()
            try primary.waitUntilArchived(lastName, seconds: 300)

            #expect(try primary.archiveFailures() == 0)
            let status = primary.dataDirectory + "/pg_wal/archive_status"
            #expect(try FileManager.default.contentsOfDirectory(atPath: status).filter { $0.hasSuffix(".ready") } == [])
            let last = try #require(WALSegment(lastName, segmentSizeMB: 16))
            let expected = try #require(WALSegment("000000010000000000000001", segmentSizeMB: 16)).through(last).map(\.name)
            let keys = try storage.list(prefix: "wal/")
            let names = keys.compactMap { $0.split(separator: "/").last.map(String.init) }
            #expect(names.filter { $0.count == 24 } == expected, "every segment from the first to the last, once each")
            #expect(names.filter { $0.count != 24 } == ["archive.info"], "nothing else: \(keys)")
            #expect(try S3Services.pendingUploads(storage) == 0)
            let taken = primary.logTail(lines: 1_000_000).components(separatedBy: "was already stored by push-ahead").count - 1
            #expect(taken > 0, "no call found its segment pushed ahead")
            let records = (try? FileManager.default.contentsOfDirectory(atPath: primary.dataDirectory + "/pg_wal/tailtown-pitr/pushed")) ?? []
            #expect(records == [], "records left after every segment was archived")
            print("push-ahead under pgbench: \(expected.count) segments, \(taken) of PostgreSQL's calls found theirs pushed ahead")
            try primary.stop()
        }

        /// `kill -9` of the background pusher while its uploads are in flight: every record
        /// left names a segment that is stored whole, and archiving then completes with every segment stored.
        @Test func killedWhileStoringClaimsNothingThatIsNotStored() throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let cluster = try PostgresCluster.initialize(in: sandbox, name: "primary")
            // Archiving on but no command yet: the `.ready` backlog builds up untouched.
            try cluster.configure([("archive_mode", "on"), ("archive_command", ""), ("checkpoint_timeout", "1d"), ("max_wal_size", "4GB")])
            try cluster.start()
            _ = try cluster.query("create table filler (g int, h text)")
            var switched: [String] = []
            // Enough segments that the pushers killed early in each round leave work for the next ones.
            for _ in 0..<20 {
                _ = try cluster.query("insert into filler select g, repeat(md5(g::text), 8) from generate_series(1, 8000) g")
                switched.append(try cluster.switchWAL())
            }
            let wal = cluster.dataDirectory + "/pg_wal/"
            let records = wal + "tailtown-pitr/pushed"
            let checkFolder = try sandbox.makeDirectory("check")
            var killedInFlight = 0
            for round in 0..<8 {
                // PostgreSQL's call for the oldest: it stores that one and starts the background pusher on the others.
                let oldest = try #require(try FileManager.default.contentsOfDirectory(atPath: wal + "archive_status")
                    .filter { $0.hasSuffix(".ready") }.sorted().first).replacingOccurrences(of: ".ready", with: "")
                let push = try KillableCommand(sandbox.binary, ["--config", tailtown.configFile, "wal-push", "pg_wal/" + oldest],
                                               in: cluster.dataDirectory,
                                               environment: ["TAILTOWN_PUSH_AHEAD": "64", "TAILTOWN_UPLOAD_CONCURRENCY": "3"],
                                               errorLog: sandbox.path("push-\(round).log"))
                let errors = { (try? String(contentsOfFile: sandbox.path("push-\(round).log"), encoding: .utf8)) ?? "" }
                #expect(push.wait() == 0, "wal-push \(oldest) failed: \(errors())")
                // The kill lands while the pusher stores a file: it is stopped (SIGSTOP) with its marker there first.
                if let pid = BackgroundPusherProcess.stopWhileStoring(dataDirectory: cluster.dataDirectory, pushed: records),
                   try BackgroundPusherProcess.kill9(pid, pushed: records) {
                    killedInFlight += 1
                }

                // Whatever a record claims must be stored whole: fetch it back and compare.
                for record in (try? FileManager.default.contentsOfDirectory(atPath: records)) ?? [] where record.count == 24 {
                    let copy = checkFolder + "/\(round)-\(record)"
                    let fetched = try tailtown.fetch(record, to: copy, in: cluster.dataDirectory)
                    #expect(fetched.status == 0, "record \(record) after kill \(round) names a segment that is not stored: \(fetched.stderr)")
                    #expect(try contents(of: copy) == contents(of: wal + record), "record \(record) after kill \(round): stored content differs")
                }
            }
            print("push-ahead kill test: \(killedInFlight) of 8 background pushers killed while storing a file")
            #expect(killedInFlight > 0, "no background pusher was storing a file when killed: the test proved nothing")

            // Archiving now runs through wal-push and must complete, whatever the kills left behind.
            _ = try cluster.query("alter system set archive_command = '\(tailtown.archiveCommand)'")
            _ = try cluster.query("select pg_reload_conf()")
            let last = try cluster.switchWAL()
            try cluster.waitUntilArchived(last, seconds: 300)
            #expect(try cluster.archiveFailures() == 0)
            let systemIdentifier = try cluster.systemIdentifier()
            for name in switched {
                let copy = checkFolder + "/final-" + name
                let fetched = try tailtown.fetch(name, to: copy, in: cluster.dataDirectory)
                #expect(fetched.status == 0, "\(name) is not archived: \(fetched.stderr)")
                if FileManager.default.fileExists(atPath: wal + name) {
                    #expect(try contents(of: copy) == contents(of: wal + name))
                }
                #expect(FileManager.default.fileExists(atPath: tailtown.repository.segmentObject(name, systemIdentifier: systemIdentifier)))
            }
            try cluster.stop()
        }
    }
}
