import Testing
@testable import PITRArchive
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRSupport
@testable import PITRWAL

/// An archive written under one key, then under the next after `keygen --activate`: both read back, and the
/// duplicate checks compare a file with an object of the older key by that key's digest.
@Suite struct KeyRotationArchiveTests {
    let log = Log(level: .error)
    static let first = MasterKey(bytes: Array(repeating: 11, count: 32))!
    static let second = MasterKey(bytes: Array(repeating: 12, count: 32))!
    /// After the activation: the second key encrypts, the first is retired.
    static let rotated = Keyring([(.retired, first), (.active, second)])!

    func push(_ fake: FakeDataDirectory, _ path: String, _ keyring: Keyring) throws -> WALPush.Outcome {
        let repository = Repository(storage: fake.repository().storage, keyring: keyring)
        return try WALPush(repository: repository, options: ObjectOptions(compression: .lz4, key: keyring.active), log: log).push(path: path)
    }

    func fetch(_ fake: FakeDataDirectory, _ number: UInt64, _ keyring: Keyring) throws -> ObjectTrailer? {
        let repository = Repository(storage: fake.repository().storage, keyring: keyring)
        return try ArchivedFileDownload(repository: repository, identity: fake.identity)
            .download(.segment(fake.name(number)), to: fake.root + "/fetched-\(number)")
    }

    func headerKeyID(_ fake: FakeDataDirectory, _ number: UInt64) throws -> [UInt8] {
        let archive = WALArchive(repository: fake.repository(), identity: fake.identity)
        let key = archive.key(for: .segment(fake.name(number)))
        return try ObjectHeader(parsing: fake.repository().storage.readHead(of: key, count: ObjectHeader.size), object: key).keyID
    }

    @Test func objectsOfBothKeysReadBackAndRepeatedPushesAreRecognised() throws {
        let fake = try FakeDataDirectory()
        let before = Keyring(single: Self.first)
        let one = try fake.makeSegment(1), two = try fake.makeSegment(2)
        #expect(try push(fake, one, before) == .stored(originalBytes: 1 << 20))
        #expect(try push(fake, two, before) == .stored(originalBytes: 1 << 20))

        // After the activation: a repeated push of an object of the first key is the same content, a changed file is not.
        #expect(try push(fake, two, Self.rotated) == .alreadyArchived)
        try fake.makeSegment(2, seed: 9)
        #expect(throws: ArchiveError.self) { try push(fake, two, Self.rotated) }
        try fake.makeSegment(2)
        let three = try fake.makeSegment(3)
        #expect(try push(fake, three, Self.rotated) == .stored(originalBytes: 1 << 20))
        #expect(try push(fake, three, Self.rotated) == .alreadyArchived)
        #expect(try headerKeyID(fake, 2) == Self.first.keyID && headerKeyID(fake, 3) == Self.second.keyID)

        // Reads pick the key by the header's id.
        for number: UInt64 in 1...3 {
            #expect(try fetch(fake, number, Self.rotated)?.originalSize == 1 << 20)
            #expect(try FileSystem.readFile(fake.root + "/fetched-\(number)") == FileSystem.readFile(fake.wal + "/" + fake.name(number).fileName))
        }
        // Without the first key, its objects are refused with the id they need.
        let error = #expect(throws: ObjectFormatError.self) { try fetch(fake, 1, Keyring(single: Self.second)) }
        #expect(error == .wrongKey(object: fake.repository().storage.describe(WALArchive(repository: fake.repository(), identity: fake.identity)
            .key(for: .segment(fake.name(1)))), expected: Self.first.keyIDHex, given: [Self.second.keyIDHex]))
        #expect(error?.description.contains("add key \(Self.first.keyIDHex) to the key file") == true)
        #expect(try fetch(fake, 3, Keyring(single: Self.second))?.originalSize == 1 << 20)
    }

    /// The background pusher stored a file under the first key; PostgreSQL's call comes after the activation.
    @Test func aPushRecordOfTheOlderKeyStillCounts() throws {
        let fake = try FakeDataDirectory()
        let path = try fake.makeSegment(1)
        let name = WALFileName.segment(fake.name(1))
        let repository = Repository(storage: fake.repository().storage, keyring: Keyring(single: Self.first))
        let archive = WALArchive(repository: repository, identity: fake.identity)
        try archive.checkKeyAndSegmentSize(.oneMiB, file: path)
        let store = WALFileStore(repository: repository, options: ObjectOptions(compression: .lz4, key: Self.first), log: log)
        let (_, trailer) = try store.store(try SystemFile.openForReading(path), as: name, in: archive)
        let pushed = PushedFolder(path: OurWALFolder(dataDirectory: fake.dataDirectory).pushed)
        try pushed.beginPush(of: name).complete(as: PushRecord(name: name, repository: repository.name, trailer: trailer))

        #expect(try push(fake, path, Self.rotated) == .pushedAhead)
        #expect(pushed.record(of: name) == nil)
    }
}
