import Testing
@testable import PITR

@Suite struct PushAheadTests {
    let log = Log(level: .error)

    private func push(_ fake: FakeDataDirectory, _ number: UInt64, key: MasterKey? = nil, limit: Int = 8, concurrency: Int = 3) throws -> WALPush.Outcome {
        let policy = PushAhead.Policy(limit: limit, concurrency: concurrency, openRepository: { fake.repository(key: key) })
        let push = WALPush(repository: fake.repository(key: key), options: ObjectOptions(compression: .lz4, key: key), log: log, pushAhead: policy)
        return try push.push(path: fake.wal + "/" + fake.name(number).fileName)
    }

    private func archived(_ fake: FakeDataDirectory) throws -> [String] {
        try fake.repository().storage.list(prefix: "wal/").compactMap { $0.split(separator: "/").last.map(String.init) }.filter { $0.count == 24 }
    }

    @Test func readyFilesComeInArchivingOrder() throws {
        let names = try ["000000020000000000000003", "00000002.history", "000000010000000000000005",
                         "000000010000000000000004.partial", "000000010000000000000004", "000000010000000000000004.00000028.backup"]
            .map { try WALFileName(parsing: $0) }
        #expect(ReadySegments.sortedForArchiving(names).map(\.fileName) == [
            "000000010000000000000004", "000000010000000000000004.00000028.backup", "000000010000000000000004.partial",
            "000000010000000000000005", "00000002.history", "000000020000000000000003",
        ])
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
        for number: UInt64 in 1...6 { try fake.makeSegment(number) }
        #expect(try push(fake, 1, key: key, limit: 3) == .stored(originalBytes: 1 << 20))
        // The caller's segment and the next three ready ones (the limit), each with a record.
        #expect(try archived(fake) == (UInt64(1)...4).map { fake.name($0).fileName })
        let pushed = OurWALFolder(dataDirectory: fake.dataDirectory).pushed
        #expect(try FileSystem.list(pushed).sorted() == (UInt64(2)...4).map { fake.name($0).fileName })

        // PostgreSQL's call for segment 2 finds the record, answers without storing, and removes it.
        #expect(try push(fake, 2, key: key, limit: 0) == .pushedAhead)
        #expect(!FileSystem.exists(pushed + "/" + fake.name(2).fileName))
        // A record whose file changed since is not trusted: the file is pushed again, and differs.
        try fake.makeSegment(3, seed: 9)
        #expect(throws: ArchiveError.self) { try push(fake, 3, key: key, limit: 0) }
        #expect(!FileSystem.exists(pushed + "/" + fake.name(3).fileName))
    }

    @Test func aRecordNeverVouchesForAnotherRepository() throws {
        let fake = try FakeDataDirectory()
        for number: UInt64 in 1...2 { try fake.makeSegment(number) }
        _ = try push(fake, 1)
        let record = try #require(PushRecord.read(.segment(fake.name(2)), in: OurWALFolder(dataDirectory: fake.dataDirectory).pushed))
        let other = FileStorage(root: fake.root + "/other")
        let push = WALPush(repository: Repository(storage: other, key: nil), options: ObjectOptions(compression: .lz4), log: log)
        #expect(record.repository != other.describe(""))
        #expect(try push.push(path: fake.wal + "/" + fake.name(2).fileName) == .stored(originalBytes: 1 << 20))
    }

    @Test func staleRecordsAndTemporariesAreRemoved() throws {
        let fake = try FakeDataDirectory()
        let folder = OurWALFolder(dataDirectory: fake.dataDirectory).pushed
        try fake.makeSegment(1, ready: false)
        let trailer = ObjectTrailer(originalSize: 1, digestKind: .sha256Tree, digest: Array(repeating: 1, count: 32))
        for number: UInt64 in [1, 2] {
            try PushRecord(name: .segment(fake.name(number)), repository: "r", trailer: trailer).write(into: folder)
        }
        try fake.write(folder + "/.000000010000000000000001.999.tmp", [])
        try PushRecord.removeStale(in: folder, walFolder: fake.wal)
        #expect(try FileSystem.list(folder) == [fake.name(1).fileName])
        #expect(PushRecord.read(.segment(fake.name(1)), in: folder)?.trailer == trailer)
    }

    @Test func aFailingCallerPushesNothingAhead() throws {
        let fake = try FakeDataDirectory()
        for number: UInt64 in 1...3 { try fake.makeSegment(number) }
        // A segment whose header names another segment is refused before any upload starts.
        try FileSystem.rename(fake.wal + "/" + fake.name(3).fileName, to: fake.wal + "/" + fake.name(1).fileName)
        #expect(throws: WALError.self) { try push(fake, 1) }
        #expect(try archived(fake) == [])
    }
}
