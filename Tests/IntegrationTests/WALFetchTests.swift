import Foundation
import Testing

/// How the repository of a fetch test is set up.
struct FetchSetup: CustomTestStringConvertible, Sendable {
    let compression: String
    let encrypted: Bool
    /// What wal-fetch says of an object with one byte flipped in the middle, and of one cut in half.
    let corruption: String
    let truncation: String
    var testDescription: String { "\(compression), \(encrypted ? "encrypted" : "unencrypted")" }

    static let all = [
        FetchSetup(compression: "lz4", encrypted: true, corruption: "failed authentication at chunk", truncation: "is truncated"),
        FetchSetup(compression: "zstd", encrypted: false, corruption: "decodes to bytes whose digest differs from its trailer",
                   truncation: "is truncated"),
    ]
}

extension PostgreSQLIntegration {
    /// wal-fetch's exit statuses: 0 fetched, 1 not in the archive, 200 anything else; never a file at dest on failure.
    @Suite struct WALFetchStatuses {
        @Test(arguments: FetchSetup.all)
        func fetchReturnsTheArchivedBytes(_ setup: FetchSetup) throws {
            let (archived, destination) = try prepare(setup)
            let result = try archived.tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try contents(of: destination) == contents(of: archived.walFile))
            try archived.stop()
        }

        @Test(arguments: FetchSetup.all)
        func missingSegmentExits1AndCreatesNothing(_ setup: FetchSetup) throws {
            let (archived, destination) = try prepare(setup)
            let segment = try #require(WALSegment(archived.segment, segmentSizeMB: 16))
            let missing = segment.through(WALSegment(timeline: 1, log: segment.log, segment: segment.segment + 40,
                                                     segmentsPerLog: segment.segmentsPerLog)).last?.name ?? ""
            let result = try archived.tailtown.fetch(missing, to: destination, in: archived.cluster.dataDirectory)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(try leftovers(beside: destination) == [])
            try archived.stop()
        }

        @Test(arguments: FetchSetup.all)
        func corruptedObjectExits200AndLeavesNoFile(_ setup: FetchSetup) throws {
            let (archived, destination) = try prepare(setup)
            var object = try contents(of: archived.object)
            object[object.count / 2] ^= 0x01
            try object.write(to: URL(fileURLWithPath: archived.object))
            let result = try archived.tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            #expect(result.status == 200, "\(result.stderr)")
            expectDamage(setup.corruption, of: archived, in: result)
            #expect(try leftovers(beside: destination) == [])
            try archived.stop()
        }

        @Test(arguments: FetchSetup.all)
        func truncatedObjectExits200AndLeavesNoFile(_ setup: FetchSetup) throws {
            let (archived, destination) = try prepare(setup)
            let object = try contents(of: archived.object)
            try object.prefix(object.count / 2).write(to: URL(fileURLWithPath: archived.object))
            let result = try archived.tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            #expect(result.status == 200, "\(result.stderr)")
            expectDamage(setup.truncation, of: archived, in: result)
            #expect(try leftovers(beside: destination) == [])
            try archived.stop()
        }

        /// A segment's object copied to the same segment of timeline 2 (its page headers still say segment N, so only
        /// the name it is bound to tells them apart): refused, exit 200, never handed over.
        @Test(arguments: FetchSetup.all)
        func anObjectCopiedToAnotherTimelinesNameExits200(_ setup: FetchSetup) throws {
            let (archived, destination) = try prepare(setup)
            let folder = (archived.object as NSString).deletingLastPathComponent
            let otherFolder = (folder as NSString).deletingLastPathComponent + "/00000002" + (folder as NSString).lastPathComponent.dropFirst(8)
            let otherName = "00000002" + archived.segment.dropFirst(8)
            try FileManager.default.createDirectory(atPath: otherFolder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: archived.object, toPath: otherFolder + "/" + otherName)
            try Sandbox.giveTreeToPostgres(otherFolder, mode: 0o700)
            let result = try archived.tailtown.fetch(otherName, to: destination, in: archived.cluster.dataDirectory)
            #expect(result.status == 200, "\(result.stderr)")
            let line = result.stderr.split(separator: "\n").first { $0.contains("error: object file://\(otherFolder)/\(otherName) ") }
            #expect(line?.contains(setup.encrypted ? "failed authentication at chunk 0" : "digest differs") == true, "\(result.stderr)")
            #expect(line?.contains("copied from another name") == true, "\(result.stderr)")
            #expect(try leftovers(beside: destination) == [])
            try archived.stop()
        }

        /// A repository that is not there (say, its file system is not mounted) is not the end of the archive:
        /// exit 1 would make PostgreSQL end recovery early and promote on a partial history.
        @Test func missingRepositoryExits200() throws {
            let (archived, destination) = try prepare(FetchSetup.all[0])
            try FileManager.default.moveItem(atPath: archived.tailtown.repository.root, toPath: archived.sandbox.path("repo.unmounted"))
            let result = try archived.tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.stderr.contains("there is no repository at \(archived.tailtown.repository.url)"), "\(result.stderr)")
            #expect(try leftovers(beside: destination) == [])
            try archived.stop()
        }

        /// A restore_command with a mistyped option must not read as "end of archive" either.
        @Test func usageErrorExits200() throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: false)
            let destination = try sandbox.makeDirectory("fetched") + "/RECOVERYXLOG"
            let result = try sandbox.tailtown(["--config", tailtown.configFile, "wal-fetch", "--no-such-option",
                                               "000000010000000000000001", destination])
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.stderr.contains("Unknown option '--no-such-option'"), "\(result.stderr)")
            #expect(try leftovers(beside: destination) == [])
        }

        /// A wal-fetch killed while it writes leaves nothing beside its destination: its partial file has no name.
        /// The object is a FIFO fed by the test, so the kill lands while the file is open and half written.
        @Test func aKilledFetchLeavesNoFile() throws {
            let (archived, destination) = try prepare(FetchSetup.all[0])
            let object = try contents(of: archived.object)
            try FileManager.default.removeItem(atPath: archived.object)
            guard mkfifo(archived.object, 0o600) == 0 else { throw HarnessError.system("mkfifo \(archived.object): errno \(errno)") }
            try Sandbox.giveToPostgres(archived.object, mode: 0o600)
            let fetch = try KillableCommand(archived.sandbox.binary, ["--config", archived.tailtown.configFile, "wal-fetch", archived.segment, destination],
                                            in: archived.cluster.dataDirectory, errorLog: archived.sandbox.path("fetch.stderr"))
            var writer: Int32 = -1
            try waitUntil("wal-fetch to open \(archived.object)", detail: { (try? String(contentsOfFile: archived.sandbox.path("fetch.stderr"), encoding: .utf8)) ?? "" }) {
                if !fetch.isRunning { throw HarnessError.system("wal-fetch ended before it opened the object") }
                writer = open(archived.object, O_WRONLY | O_NONBLOCK)  // fails (ENXIO) until a reader has it open
                return writer >= 0
            }
            defer { close(writer) }
            _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) & ~O_NONBLOCK)
            // All but the last bytes: every chunk but the last is decoded and written, then wal-fetch waits for the rest.
            let sent = object.count - 16
            let written = object.withUnsafeBytes { bytes in
                var done = 0
                while done < sent {
                    let n = write(writer, bytes.baseAddress! + done, sent - done)
                    if n <= 0 { break }
                    done += n
                }
                return done
            }
            #expect(written == sent)
            let folder = (destination as NSString).deletingLastPathComponent
            try waitUntil("wal-fetch to write into its partial file") { partialFileSize(of: fetch.pid, in: folder) > 0 }
            fetch.kill9()
            #expect(try leftovers(beside: destination) == [])

            // The object back in place, the next fetch is whole.
            try FileManager.default.removeItem(atPath: archived.object)
            try object.write(to: URL(fileURLWithPath: archived.object))
            try Sandbox.giveToPostgres(archived.object, mode: 0o600)
            let result = try archived.tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try contents(of: destination) == contents(of: archived.walFile))
            #expect(try leftovers(beside: destination) == ["RECOVERYXLOG"])
            try archived.stop()
        }

        /// The bytes process `pid` has written to a file of `folder` it holds open (named or not); 0 when it holds none.
        private func partialFileSize(of pid: pid_t, in folder: String) -> Int {
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
            for descriptor in descriptors {
                let link = "/proc/\(pid)/fd/\(descriptor)"
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link), target.hasPrefix(folder + "/") else { continue }
                var info = stat()
                if stat(link, &info) == 0 { return Int(info.st_size) }
            }
            return 0
        }

        /// An archived cluster and a destination path in an empty folder of its own, as PostgreSQL's RECOVERYXLOG.
        private func prepare(_ setup: FetchSetup) throws -> (ArchivedCluster, String) {
            let archived = try ArchivedCluster.make(compression: setup.compression, encrypted: setup.encrypted)
            return (archived, try archived.sandbox.makeDirectory("fetched") + "/RECOVERYXLOG")
        }

        /// A failed fetch's stderr names the damaged object and says what is wrong with it, so that exit 200 comes from
        /// the damage and not from some other failure (a bad config, a missing file) that exits 200 as well.
        private func expectDamage(_ reason: String, of archived: ArchivedCluster, in result: CommandResult,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
            let line = result.stderr.split(separator: "\n").first { $0.contains("error: object file://\(archived.object) ") }
            #expect(line?.contains(reason) == true, "expected \"\(reason)\" about \(archived.object): \(result.stderr)", sourceLocation: sourceLocation)
        }

        /// Whatever a fetch left in the destination's folder (a failed fetch must leave nothing, not even a temporary).
        private func leftovers(beside destination: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: (destination as NSString).deletingLastPathComponent)
        }
    }
}
