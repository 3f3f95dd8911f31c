import Foundation
import Testing


extension PostgreSQLIntegration {
    /// wal-fetch's background prefetcher (docs/performance.md, "Prefetch").
    @Suite struct Prefetch {
        /// One primary, two base backups taken before the load: one recovers with prefetch off, the other
        /// with prefetch on after a pretend recovery left a corrupted and a stale staged file behind.
        /// Both must reach the primary's data; neither bad file may be served.
        @Test func prefetchedRecoveryEqualsUnprefetchedAndServesNoBadStagedFile() throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: true)
            let prefetching = try tailtown.adding(["TAILTOWN_LOG_LEVEL=debug"], as: "prefetch.conf")
            let direct = try prefetching.adding(["TAILTOWN_PREFETCH=0"], as: "direct.conf")
            let primary = try PostgresCluster.initialize(in: sandbox, name: "primary")
            try primary.archive(through: tailtown)
            try primary.start()
            let plain = try PostgresCluster.baseBackup(of: primary, name: "plain")
            let restored = try PostgresCluster.baseBackup(of: primary, name: "restored")
            try primary.pgbench(["-i", "-q", "-s", "8"])
            try primary.pgbench(["-n", "-c", "2", "-j", "2", "-t", "2000"])
            let lastName = try primary.switchWAL()
            try primary.waitUntilArchived(lastName, seconds: 300)
            let original = try primary.pgbenchFingerprint()
            try primary.stop()

            try plain.recover(through: direct)
            #expect(try plain.pgbenchFingerprint() == original)
            try plain.stop()

            // A pretend recovery (recovery.signal, a postmaster.pid of a postmaster that is not there) stages segments.
            let data = restored.dataDirectory
            let staging = data + "/pg_wal/tailtown-pitr/prefetch/"
            try restored.requestRecovery()
            try sandbox.writeFile("restored/postmaster.pid", "4194000\n\(data)\n1700000000\n")
            let first = try #require(try backupStartSegment(data))
            let started = try prefetching.fetch(first.name, to: "pg_wal/RECOVERYXLOG", in: data)
            #expect(started.status == 0, "\(started.stderr)")
            try waitUntil("the prefetcher to stage 4 segments", seconds: 60) { try stagedSegments(staging).count >= 4 }

            // A staged segment corrupted in the staging folder is refetched, not served. The prefetcher is stopped meanwhile
            // (SIGSTOP): its own check ahead would otherwise replace the file first, and the fetch would find it sound.
            let second = first.next
            try waitUntil("\(second) to be staged", seconds: 60) { try stagedSegments(staging).contains(second.name) }
            let prefetchers = prefetcherPIDs(of: data)
            #expect(!prefetchers.isEmpty, "no prefetcher was running for \(data)")
            prefetchers.forEach(stopProcess)
            var bytes = try contents(of: staging + second.name)
            bytes[bytes.count / 2] ^= 0x40
            try bytes.write(to: URL(fileURLWithPath: staging + second.name))
            let refetched = try prefetching.fetch(second.name, to: "pg_wal/RECOVERYXLOG", in: data)
            prefetchers.forEach { kill($0, SIGCONT) }
            #expect(refetched.status == 0, "\(refetched.stderr)")
            #expect(refetched.stderr.contains("is not served"), "the corrupted staged file went unnoticed: \(refetched.stderr)")
            let reference = sandbox.path("reference-" + second.name)
            #expect(try direct.fetch(second.name, to: reference, in: data).status == 0)
            #expect(try contents(of: data + "/pg_wal/RECOVERYXLOG") == contents(of: reference))

            // The pretend recovery ends by kill -9 of its prefetcher: its staged files stay, now stale. One of them
            // is made dangerous: a later segment's bytes and sidecar under an earlier name, self-consistent.
            try killPrefetcher(of: data)
            let staged = try stagedSegments(staging)
            try #require(staged.count >= 2, "staged: \(staged)")
            let (victim, donor) = (staged[0], staged[staged.count - 1])
            try FileManager.default.removeItem(atPath: staging + victim)
            try FileManager.default.removeItem(atPath: staging + victim + ".staged")
            try FileManager.default.copyItem(atPath: staging + donor, toPath: staging + victim)
            try FileManager.default.copyItem(atPath: staging + donor + ".staged", toPath: staging + victim + ".staged")
            try FileManager.default.removeItem(atPath: data + "/postmaster.pid")
            try FileManager.default.removeItem(atPath: data + "/pg_wal/RECOVERYXLOG")

            try restored.recover(through: prefetching, recoverySignalPresent: true)
            #expect(try restored.pgbenchFingerprint() == original)
            let log = restored.logTail(lines: 1_000_000)
            let handedOver = log.components(separatedBy: "handed over from the prefetcher's staging folder").count - 1
            let restoredSegments = log.components(separatedBy: "restored log file").count - 1
            // Most requests find their segment staged or being staged; a lagging prefetcher only costs direct fetches.
            #expect(handedOver * 3 >= restoredSegments, "only \(handedOver) of \(restoredSegments) segments came from the staging folder")
            print("prefetch: \(handedOver) of \(restoredSegments) segments handed over from the staging folder")
            // Recovery ended: the prefetcher empties its folder and leaves no partial file behind.
            try waitUntil("the prefetcher to empty \(staging)", seconds: 60) {
                try FileManager.default.contentsOfDirectory(atPath: staging)
                    .filter { $0.hasSuffix(".staged") || $0.hasSuffix(".tmp") || $0.count == 24 }.isEmpty
            }
            try restored.stop()
        }

        /// A recovery that crosses from timeline 1 to timeline 2: the prefetcher follows the switch (the first
        /// segment of timeline 2 begins with records of timeline 1, checked against the history), and the
        /// recovered data is the data of timeline 2.
        @Test func prefetchFollowsATimelineSwitch() throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: false)
            let debug = try tailtown.adding(["TAILTOWN_LOG_LEVEL=debug"], as: "debug.conf")
            let primary = try PostgresCluster.initialize(in: sandbox, name: "primary")
            try primary.archive(through: tailtown)
            try primary.start()
            let crossing = try PostgresCluster.baseBackup(of: primary, name: "crossing")
            let promoted = try PostgresCluster.baseBackup(of: primary, name: "promoted")
            try primary.pgbench(["-i", "-q", "-s", "3"])
            try primary.waitUntilArchived(try primary.switchWAL())
            try primary.stop()

            // Timeline 2: a recovery of the second copy, promoted at the end of timeline 1, archiving on.
            try promoted.archive(through: tailtown)
            try promoted.recover(through: tailtown, archiving: true)
            for _ in 0..<3 {
                try promoted.pgbench(["-n", "-c", "2", "-j", "2", "-t", "600"])
                try promoted.waitUntilArchived(try promoted.switchWAL())
            }
            let timeline2 = try promoted.pgbenchFingerprint()
            try promoted.stop()

            try crossing.recover(through: debug)
            #expect(try crossing.pgbenchFingerprint() == timeline2)
            let handedOver = crossing.logTail(lines: 1_000_000).split(separator: "\n")
                .filter { $0.contains("'00000002") && $0.contains("handed over from the prefetcher's staging folder") }.count
            #expect(handedOver > 0, "no segment of timeline 2 came from the staging folder")
            print("prefetch across a timeline switch: \(handedOver) segments of timeline 2 handed over")
            try crossing.stop()
        }

        /// PostgreSQL asks for the history of the timeline after the newest it knows; the answer "none" takes one request
        /// on a standby, which asks at every retry, and two elsewhere, where it is asked once at the end of recovery: the
        /// history after it, which would make the missing one a hole (`ArchiveHoles`).
        @Test func historyOfATimelineThatDoesNotExistIsOneRequest() throws {
            let sandbox = try Sandbox()
            let proxy = try S3Services.faultProxy(rate: 0)
            defer { proxy.stop() }
            let storage = try S3Services.makeBucket("it-history", prefix: "h")
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: proxy.endpoint, compression: "lz4", encrypted: false)
            let cluster = try PostgresCluster.initialize(in: sandbox, name: "primary")
            _ = try proxy.log()
            let result = try tailtown.fetch("00000002.history", to: "pg_wal/RECOVERYHISTORY", in: cluster.dataDirectory)
            #expect(result.status == 1, "\(result.stderr)")
            let requests = try proxy.log().map(\.path)
            #expect(requests.count == 2 && requests.first?.hasSuffix("/00000002.history") == true
                        && requests.last?.hasSuffix("/00000003.history") == true, "\(requests)")
            try Data().write(to: URL(fileURLWithPath: cluster.dataDirectory + "/standby.signal"))
            try Sandbox.giveToPostgres(cluster.dataDirectory + "/standby.signal", mode: 0o600)
            let standby = try tailtown.fetch("00000002.history", to: "pg_wal/RECOVERYHISTORY", in: cluster.dataDirectory)
            #expect(standby.status == 1, "\(standby.stderr)")
            #expect(try proxy.log().count == 1)
        }

        /// Recovers `cluster` to the end of the archive and promotes it; archiving stays as configured when `archiving`.

        /// Names of the staged segments (those with their `.staged` sidecar), in order.
        private func stagedSegments(_ staging: String) throws -> [String] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []
            return entries.filter { $0.hasSuffix(".staged") }.map { String($0.dropLast(7)) }
                .filter { entries.contains($0) }.sorted()
        }

        /// The segment named on backup_label's START WAL LOCATION line.
        private func backupStartSegment(_ data: String) throws -> WALSegment? {
            let label = try String(contentsOfFile: data + "/backup_label", encoding: .utf8)
            guard let line = label.split(separator: "\n").first(where: { $0.hasPrefix("START WAL LOCATION") }),
                  let file = line.split(separator: " ").last?.dropLast() else { return nil }
            return WALSegment(file, segmentSizeMB: 16)
        }

        /// The `wal-prefetch` processes of `data`, found by their command lines.
        private func prefetcherPIDs(of data: String) -> [pid_t] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap { entry in
                guard let pid = Int32(entry),
                      let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
                let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return arguments.contains("wal-prefetch") && arguments.last == data ? pid : nil
            }
        }

        /// SIGKILL to the `wal-prefetch` process of `data`.
        private func killPrefetcher(of data: String) throws {
            let killed = prefetcherPIDs(of: data)
            killed.forEach { kill($0, SIGKILL) }
            #expect(!killed.isEmpty, "no prefetcher was running for \(data)")
            // Gone, not only signalled: it writes nothing more into the staging folder.
            try waitUntil("prefetcher \(killed) gone", seconds: 10) { killed.allSatisfy { kill($0, 0) != 0 } }
        }
    }
}
