import Foundation
import Testing
@testable import PITRArchive
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

@Suite struct PushAheadTests {
    let log = Log(level: .error)

    /// PostgreSQL's call for segment `number`; `pushAhead` on with a launcher that starts nothing
    /// (the tests run the background pusher themselves, in this process).
    private func push(_ fake: FakeDataDirectory, _ number: UInt64, key: MasterKey? = nil, timeline: UInt32 = 1,
                      pushAhead: Bool = true) throws -> WALPush.Outcome {
        let launcher = pushAhead ? DetachedHelperLauncher(command: []) : nil
        let push = WALPush(repository: fake.repository(key: key), options: ObjectOptions(compression: .lz4, key: key), log: log, pushAhead: launcher)
        return try push.push(path: fake.wal + "/" + fake.name(number, timeline: timeline).fileName)
    }

    /// Runs a background pusher on `fake` until it stops (PostgreSQL never calls here: after `idle` seconds).
    /// Returns why it stopped (`BackgroundPusher.run`).
    @discardableResult
    private func runPusher(_ fake: FakeDataDirectory, key: MasterKey? = nil, limit: Int = 8, idle: Double = 0.3) throws -> String? {
        var pusher = BackgroundPusher(dataDirectory: fake.dataDirectory, limit: limit, concurrency: 2,
                                      options: ObjectOptions(compression: .lz4, key: key), log: log) { fake.repository(key: key) }
        pusher.idleTimeout = idle
        return try pusher.run()
    }

    /// A postmaster.pid naming `pid` (this test process unless given): the pusher works while it runs.
    private func startPostmaster(_ fake: FakeDataDirectory, pid: Int32 = getpid()) throws {
        try fake.write(fake.dataDirectory + "/postmaster.pid", Array("\(pid)\n\(fake.dataDirectory)\n1700000000\n".utf8))
    }

    /// Archives segment `number` so that archive.info records the segment size, as the wal-push
    /// that starts a pusher has done.
    private func archiveFirst(_ fake: FakeDataDirectory, _ number: UInt64 = 1, key: MasterKey? = nil) throws {
        #expect(try push(fake, number, key: key, pushAhead: false) == .stored(originalBytes: 1 << 20))
        try FileSystem.remove(fake.wal + "/archive_status/" + fake.name(number).fileName + ".ready")
    }

    private func archived(_ fake: FakeDataDirectory) throws -> [String] {
        try fake.repository().storage.list(prefix: "wal/").compactMap { $0.split(separator: "/").last.map(String.init) }.filter { $0.count == 24 }
    }

    private func records(_ fake: FakeDataDirectory) throws -> [String] {
        let folder = OurWALFolder(dataDirectory: fake.dataDirectory).pushed
        return FileSystem.isDirectory(folder) ? try FileSystem.list(folder).filter { !$0.hasPrefix(".") }.sorted() : []
    }

    /// A process that runs until killed (`kill(_:)`), to stand for another process's pid.
    private func otherProcess() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        try process.run()
        return process
    }

    private func kill(_ process: Process) {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test func readyFilesComeInArchivingOrder() throws {
        let names = try ["000000020000000000000003", "00000002.history", "000000010000000000000005",
                         "000000010000000000000004.partial", "000000010000000000000004", "000000010000000000000004.00000028.backup"]
            .map { try WALFileName(parsing: $0) }
        let sorted = ReadySegments.sortedForArchiving(names)
        #expect(sorted.map(\.fileName) == [
            "000000010000000000000004", "000000010000000000000004.00000028.backup", "000000010000000000000004.partial",
            "000000010000000000000005", "00000002.history", "000000020000000000000003",
        ])
        // PostgreSQL archives a history file before anything else.
        #expect(PushQueue.postgreSQLsNext(sorted)?.fileName == "00000002.history")
        #expect(PushQueue.postgreSQLsNext(Array(sorted.prefix(2)))?.fileName == "000000010000000000000004")
        let fake = try FakeDataDirectory()
        try fake.makeSegment(2)
        try fake.makeSegment(1)
        try fake.markReady("not-a-wal-file")
        #expect(try ReadySegments.list(archiveStatus: fake.wal + "/archive_status").map(\.fileName)
            == ["000000010000000000000001", "000000010000000000000002"])
    }

    @Test func pushesAheadWithRecordsThatTheNextCallsTake() throws {
        let fake = try FakeDataDirectory()
        let key = MasterKey(bytes: Array(repeating: 7, count: 32))!
        for number: UInt64 in 1...7 { try fake.makeSegment(number) }
        try archiveFirst(fake, key: key)
        try startPostmaster(fake)
        try runPusher(fake, key: key, limit: 3)
        // Segment 2 is PostgreSQL's next: its own call stores it. The next three (the limit) have records.
        #expect(try archived(fake) == [1, 3, 4, 5].map { fake.name($0).fileName })
        #expect(try records(fake) == [3, 4, 5].map { fake.name($0).fileName })

        #expect(try push(fake, 2, key: key) == .stored(originalBytes: 1 << 20))
        // PostgreSQL's call for segment 3 finds the record, answers without storing, and removes it.
        #expect(try push(fake, 3, key: key) == .pushedAhead)
        #expect(try records(fake) == [4, 5].map { fake.name($0).fileName })
        // A record whose file changed since is not trusted: the file is pushed again, and differs.
        try fake.makeSegment(4, seed: 9)
        let changed = #expect(throws: ArchiveError.self) { try push(fake, 4, key: key) }
        guard case .differentContent = changed else { Issue.record("got \(String(describing: changed))"); return }
        #expect(try records(fake) == [fake.name(5).fileName])
        // With push-ahead off a record is still taken.
        #expect(try push(fake, 5, key: key, pushAhead: false) == .pushedAhead)
        #expect(try records(fake) == [])
    }

    @Test func aRecordNeverVouchesForAnotherRepository() throws {
        let fake = try FakeDataDirectory()
        for number: UInt64 in 1...3 { try fake.makeSegment(number) }
        try archiveFirst(fake)
        try startPostmaster(fake)
        try runPusher(fake)
        let record = try #require(PushedFolder(path: OurWALFolder(dataDirectory: fake.dataDirectory).pushed).record(of: .segment(fake.name(3))))
        let other = FileStorage(root: fake.root + "/other")
        let push = WALPush(repository: Repository(storage: other, key: nil), options: ObjectOptions(compression: .lz4), log: log)
        #expect(record.repository != other.describe(""))
        #expect(try push.push(path: fake.wal + "/" + fake.name(3).fileName) == .stored(originalBytes: 1 << 20))
    }

    @Test func staleRecordsAndMarkersAreRemoved() throws {
        let fake = try FakeDataDirectory()
        let folder = PushedFolder(path: OurWALFolder(dataDirectory: fake.dataDirectory).pushed)
        let trailer = ObjectTrailer(originalSize: 1, digestKind: .sha256Tree, digest: Array(repeating: 1, count: 32))
        for number: UInt64 in [1, 2] {
            try folder.beginPush(of: .segment(fake.name(number))).complete(as: PushRecord(name: .segment(fake.name(number)), repository: "r", trailer: trailer))
        }
        let other = try otherProcess()
        defer { kill(other) }
        try fake.write(folder.path + "/.000000010000000000000003.999999999.tmp", [])
        let live = FileSystem.basename(of: FileSystem.temporaryName(for: folder.path + "/" + fake.name(4).fileName))
            .replacingOccurrences(of: ".\(getpid()).", with: ".\(other.processIdentifier).")
        try fake.write(folder.path + "/" + live, [])
        #expect(folder.scan().inFlight == [fake.name(4).fileName: [other.processIdentifier]], "a dead process's marker means nothing")
        try folder.removeStale(ready: [fake.name(1).fileName])
        #expect(try FileSystem.list(folder.path).sorted() == [live, fake.name(1).fileName])
        #expect(folder.record(of: .segment(fake.name(1)))?.trailer == trailer)
    }

    /// PostgreSQL's call for a file the pusher is storing waits for it, then takes the record; a
    /// marker whose process is gone, or that goes away without a record, is no reason to wait.
    @Test func aCallWaitsForAPushInFlight() throws {
        let fake = try FakeDataDirectory()
        for number: UInt64 in 1...4 { try fake.makeSegment(number) }
        try archiveFirst(fake)
        let folder = PushedFolder(path: OurWALFolder(dataDirectory: fake.dataDirectory).pushed)
        let pusher = try otherProcess()
        defer { kill(pusher) }
        let marker = folder.path + "/.\(fake.name(2).fileName).\(pusher.processIdentifier).tmp"
        try FileSystem.makeDirectories(folder.path)
        try fake.write(marker, [])
        // The call runs beside the test; its own marker (this process's pid) shows it has begun and will now look for
        // the pusher's. Only then is segment 2 stored and recorded, and the pusher's marker removed: a call that did not
        // wait would have stored the file itself (`.stored`), never found the record.
        var outcome: WALPush.Outcome?
        var call = try WorkerThread { outcome = try? push(fake, 2) }
        try waitForTheCallsMarker(fake.name(2), in: folder)
        let repository = fake.repository()
        let file = try SystemFile.openForReading(fake.wal + "/" + fake.name(2).fileName)
        let archive = WALArchive(repository: repository, identity: fake.identity)
        let (_, trailer) = try WALFileStore(repository: repository, options: ObjectOptions(compression: .lz4), log: log)
            .store(file, as: .segment(fake.name(2)), in: archive)
        let record = PushRecord(name: .segment(fake.name(2)), repository: repository.name, trailer: trailer)
        try fake.write(folder.path + "/" + fake.name(2).fileName, record.text.bytes)
        try FileSystem.remove(marker)
        call.join()
        #expect(outcome == .pushedAhead, "the call did not wait for the push in flight")

        // A marker that goes away without a record: the call stores the file itself.
        let second = folder.path + "/.\(fake.name(3).fileName).\(pusher.processIdentifier).tmp"
        try fake.write(second, [])
        outcome = nil
        call = try WorkerThread { outcome = try? push(fake, 3) }
        try waitForTheCallsMarker(fake.name(3), in: folder)
        try FileSystem.remove(second)
        call.join()
        #expect(outcome == .stored(originalBytes: 1 << 20))

        // A killed pusher's marker is no one's push: nothing to wait for.
        try fake.write(folder.path + "/.\(fake.name(4).fileName).999999999.tmp", [])
        #expect(!folder.isPushedByAnother(.segment(fake.name(4))))
        #expect(try push(fake, 4) == .stored(originalBytes: 1 << 20))
        #expect(try records(fake) == [])
    }

    /// Returns once the marker of this process's call for `name` exists (the call has begun its push), or throws after a minute.
    private func waitForTheCallsMarker(_ name: WALSegmentName, in folder: PushedFolder) throws {
        try waitFor("the call for \(name.fileName) to make its marker") {
            try FileSystem.list(folder.path).contains { TemporaryFile(entry: $0).map { $0.name == name.fileName && $0.pid == getpid() } ?? false }
        }
    }

    /// Returns once `condition` holds, which the code under test makes true, or throws after a minute: the tests
    /// wait for what the code does, never for a time.
    private func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
        let deadline = MonotonicClock.now() + 60
        while try !condition() {
            try #require(MonotonicClock.now() < deadline, "waited a minute for \(what)")
            usleep(1_000)
        }
    }

    /// Nothing of a new timeline is pushed before its history file, which PostgreSQL archives first;
    /// PostgreSQL's own call's marker keeps the pusher off that file.
    @Test func theHistoryComesFirstAndPostgreSQLsFileIsLeftToIt() throws {
        let fake = try FakeDataDirectory()
        for number: UInt64 in 1...3 { try fake.makeSegment(number) }
        try fake.makeSegment(4, timeline: 2)
        try fake.write(fake.wal + "/00000002.history", Array("1\t0/3800000\tno recovery target specified\n".utf8))
        try fake.markReady("00000002.history")
        try archiveFirst(fake)
        try startPostmaster(fake)
        // PostgreSQL's call is storing segment 2 (a live process's marker); while it does, the pusher runs on.
        let call = try otherProcess()
        defer { kill(call) }
        let marker = OurWALFolder(dataDirectory: fake.dataDirectory).pushed + "/.\(fake.name(2).fileName).\(call.processIdentifier).tmp"
        try FileSystem.makeDirectories(FileSystem.dirname(of: marker))
        try fake.write(marker, [])
        let running = try WorkerThread {
            do { try runPusher(fake) } catch { Issue.record("the pusher failed: \(error)") }
        }
        // The pusher looks at the ready files in order: the record of segment 3 shows it passed segment 2 over.
        try waitFor("the pusher to record segment 3") { try !records(fake).isEmpty }
        #expect(try records(fake) == [fake.name(3).fileName])
        #expect(try archived(fake) == [fake.name(1).fileName, fake.name(3).fileName], "PostgreSQL's file left to it")
        // The call ended without archiving it (say, it failed): the pusher takes it, and nothing of timeline 2.
        try FileSystem.remove(marker)
        running.join()
        #expect(try archived(fake) == [1, 2, 3].map { fake.name($0).fileName })

        // Once the history is archived, the new timeline's segment follows.
        try FileSystem.remove(fake.wal + "/archive_status/00000002.history.ready")
        try runPusher(fake)
        #expect(try archived(fake).contains(fake.name(4, timeline: 2).fileName))
    }

    @Test func thePusherStopsWhenThePostmasterIsGone() throws {
        let fake = try FakeDataDirectory()
        for number: UInt64 in 1...2 { try fake.makeSegment(number) }
        try archiveFirst(fake)
        let postmaster = try otherProcess()
        try startPostmaster(fake, pid: postmaster.processIdentifier)
        var reason: String?
        let running = try WorkerThread {
            do {
                reason = try runPusher(fake, idle: 60)
            } catch {
                Issue.record("the pusher failed: \(error)")
            }
        }
        // At work once it has described itself in its lock: it found the postmaster and opened the repository.
        let lock = DetachedHelper.pusher(OurWALFolder(dataDirectory: fake.dataDirectory)).lockPath
        try waitFor("the pusher to describe itself in its lock") { !((try? HelperLock.holderDescription(lock)) ?? nil ?? "").isEmpty }
        kill(postmaster)
        running.join()
        // Its idle timeout is a minute away: only the postmaster's end stops it with this reason.
        #expect(reason == "the postmaster \(postmaster.processIdentifier) is gone")
    }

    @Test func aFailedPushStopsThePusherAndLeavesTheFileToPostgreSQL() throws {
        let fake = try FakeDataDirectory()
        for number: UInt64 in 1...4 { try fake.makeSegment(number) }
        try archiveFirst(fake)
        try startPostmaster(fake)
        // Segment 3's header names segment 4: refused before any upload starts.
        try FileSystem.rename(fake.wal + "/" + fake.name(4).fileName, to: fake.wal + "/" + fake.name(3).fileName)
        try FileSystem.remove(fake.wal + "/archive_status/" + fake.name(4).fileName + ".ready")
        try runPusher(fake, idle: 60)
        #expect(try !archived(fake).contains(fake.name(3).fileName))
        #expect(try !records(fake).contains(fake.name(3).fileName))
        let misnamed = #expect(throws: WALError.self) { try push(fake, 3) }
        guard case .pageAddressMismatch = misnamed else { Issue.record("got \(String(describing: misnamed))"); return }
    }
}
