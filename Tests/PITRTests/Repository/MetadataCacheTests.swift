import Foundation
import Testing
@testable import PITRArchive
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

/// One request per segment on S3 (moto): wal-push and wal-fetch take the repository log's newest entry and
/// `archive.info` from the metadata cache, authenticated as the stored objects are, and read the repository again
/// when the cache is missing, refused, tampered with or stale. Each "process" is a new S3 connection and repository.
@Suite("metadata cache on s3://", .serialized)
struct MetadataCacheTests {
    static let first = MasterKey(bytes: Array(repeating: 0x31, count: 32))!
    static let second = MasterKey(bytes: Array(repeating: 0x32, count: 32))!

    /// A bucket, a fake data directory and a cache folder shared by the processes of one test.
    final class Setup {
        let fake: FakeDataDirectory
        let configuration: S3Configuration
        let cacheFolder: String

        init(_ hint: String) throws {
            fake = try FakeDataDirectory()
            configuration = try S3TestRepository.make(hint, prefix: "pg").configuration
            cacheFolder = fake.root + "/cache/tailtown-pitr"
        }

        /// A process: a new connection and repository with `keyring`, using the cache unless `cached` is false.
        func process(_ keyring: Keyring, cached: Bool = true) throws -> (Repository, S3Storage) {
            let log = Log(level: .error)
            let storage = try S3Storage(configuration: configuration, log: log)
            let repository = Repository(storage: storage, keyring: keyring)
            if cached { repository.metadataCache = MetadataCache.open(folder: cacheFolder, location: "moto/" + configuration.bucket, log: log) }
            return (repository, storage)
        }

        /// Pushes segment `number` (made first) in a new process; its outcome and requests.
        func push(_ number: UInt64, _ keyring: Keyring, cached: Bool = true) throws -> (WALPush.Outcome, RequestCounts) {
            let path = try fake.makeSegment(number, ready: false)
            let (repository, storage) = try process(keyring, cached: cached)
            let outcome = try WALPush(repository: repository, options: ObjectOptions(compression: .lz4, key: keyring.active), log: Log(level: .error))
                .push(path: path)
            return (outcome, storage.requests ?? RequestCounts())
        }

        /// Fetches segment `number` in a new process, checks its bytes; its requests.
        func fetch(_ number: UInt64, _ keyring: Keyring) throws -> RequestCounts {
            let (repository, storage) = try process(keyring)
            let destination = fake.wal + "/RECOVERYXLOG"
            try? FileManager.default.removeItem(atPath: destination)
            let outcome = try WALFetch(repository: repository, log: Log(level: .error)).fetch(name: fake.name(number).fileName, to: destination)
            #expect(outcome == .fetched(originalBytes: 1 << 20))
            #expect(FileManager.default.contents(atPath: destination) == FileManager.default.contents(atPath: fake.wal + "/" + fake.name(number).fileName))
            return storage.requests ?? RequestCounts()
        }

        /// The cache's entries (not the lock files), by name.
        func entries() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: cacheFolder).filter { $0.hasPrefix("metadata-") && !$0.hasSuffix(".lock") }.sorted()
        }
    }

    static func total(_ requests: RequestCounts) -> Int { requests.reads + requests.writes + requests.deletes }

    @Test func aPushAndAFetchInSteadyStateMakeOneRequestEach() throws {
        let setup = try Setup("onereq")
        let keys = Keyring(single: Self.first)
        let (created, _) = try setup.push(1, keys)
        #expect(created == .stored(originalBytes: 1 << 20))
        _ = try setup.push(2, keys) // reads archive.info, which the cache then holds
        let (outcome, push) = try setup.push(3, keys)
        #expect(outcome == .stored(originalBytes: 1 << 20))
        #expect(push.writes == 1 && Self.total(push) == 1, "\(push)")
        let (again, duplicate) = try setup.push(3, keys)
        #expect(again == .alreadyArchived)
        #expect(duplicate.writes == 1 && duplicate.deletes == 0, "the 412, then the stored trailer: \(duplicate)")

        _ = try setup.fetch(1, keys) // reads the log's newest entry, which the cache then holds
        let fetch = try setup.fetch(2, keys)
        #expect(fetch.reads == 1 && Self.total(fetch) == 1, "\(fetch)")
        #expect(try setup.entries().count == 2)

        // Without the cache: archive.info, the log (a listing and a GET), then the segment.
        let (uncached, storage) = try setup.process(keys, cached: false)
        let destination = setup.fake.wal + "/RECOVERYXLOG"
        try? FileManager.default.removeItem(atPath: destination)
        _ = try WALFetch(repository: uncached, log: Log(level: .error)).fetch(name: setup.fake.name(3).fileName, to: destination)
        #expect(Self.total(storage.requests ?? RequestCounts()) > 1)
    }

    /// Another host activates a second key (it is accepted in the log, archive.info sealed again under it): this host's
    /// stale cache still fetches what the new key sealed (its key file holds both), and a push under the new key reads
    /// archive.info again before the cache serves it.
    @Test func aKeyActivatedElsewhereLeavesTheCacheSafe() throws {
        let setup = try Setup("onereq-rotation")
        let before = Keyring(single: Self.first)
        let rotated = Keyring([(.retired, Self.first), (.active, Self.second)])!
        _ = try setup.push(1, before)
        _ = try setup.push(2, before)
        _ = try setup.fetch(1, before)
        #expect(Self.total(try setup.fetch(2, before)) == 1)

        // The other host: no cache of its own here.
        let (elsewhere, _) = try setup.push(3, rotated, cached: false)
        #expect(elsewhere == .stored(originalBytes: 1 << 20))
        #expect(try Repository(storage: try setup.process(rotated).1, keyring: rotated).recordedState()?.acceptedKeys
            == [Self.first.keyIDHex, Self.second.keyIDHex])

        // Sealed under the new key, fetched with the cache from before the rotation: one GET.
        #expect(Self.total(try setup.fetch(3, rotated)) == 1)
        // The cache's archive.info is sealed by the old key: the push under the new one reads the stored one (sealed by the
        // old key too), lists the ones sealed again since and reads the newest, then caches it.
        let (pushed, reading) = try setup.push(4, rotated)
        #expect(pushed == .stored(originalBytes: 1 << 20))
        #expect(reading.reads == 2 && reading.writes == 2, "\(reading)")
        let (_, steady) = try setup.push(5, rotated)
        #expect(Self.total(steady) == 1, "\(steady)")
    }

    /// The repository is removed and made anew at the same place by another process (a new repository id): the cached
    /// metadata binds the segment to the old id, the decoder refuses it, and the fetch reads the metadata again.
    @Test func metadataFromAnotherRepositoryIsReadAgain() throws {
        let setup = try Setup("onereq-replaced")
        let keys = Keyring(single: Self.first)
        _ = try setup.push(1, keys)
        _ = try setup.push(2, keys)
        _ = try setup.fetch(1, keys)
        let (old, storage) = try setup.process(keys, cached: false)
        let oldID = try old.recordedState()?.repositoryID
        try storage.remove(keys: try storage.list(prefix: ""))
        _ = try setup.push(1, keys, cached: false)
        _ = try setup.push(2, keys, cached: false)
        let (renewed, _) = try setup.process(keys, cached: false)
        #expect(try renewed.recordedState()?.repositoryID != oldID)

        let requests = try setup.fetch(2, keys)
        #expect(Self.total(requests) > 1, "read again: \(requests)")
        #expect(Self.total(try setup.fetch(1, keys)) == 1, "and cached again")
    }

    /// An entry changed by someone who holds no key does not authenticate: it is ignored and replaced, never trusted.
    @Test func aTamperedEntryIsIgnored() throws {
        let setup = try Setup("onereq-tampered")
        let keys = Keyring(single: Self.first)
        _ = try setup.push(1, keys)
        _ = try setup.push(2, keys)
        let entries = try setup.entries()
        #expect(entries.count == 1)
        let path = setup.cacheFolder + "/" + entries[0]
        let original = try String(contentsOfFile: path, encoding: .utf8)
        var lines = original.split(separator: "\n").map(String.init)
        let index = try #require(lines.firstIndex { $0.hasPrefix("sealed=") })
        var sealed = try #require(Base64.decode(String(lines[index].dropFirst("sealed=".count))))
        sealed[sealed.count - 60] ^= 0x01
        lines[index] = "sealed=" + Base64.encode(sealed)
        try FileSystem.remove(path)
        try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: path, mode: 0o600, durable: false)

        let (outcome, requests) = try setup.push(3, keys)
        #expect(outcome == .stored(originalBytes: 1 << 20))
        #expect(requests.reads == 1 && requests.writes == 1, "archive.info read from the repository: \(requests)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) != lines.joined(separator: "\n") + "\n", "replaced")
        #expect(Self.total(try setup.push(4, keys).1) == 1)
    }

    /// An entry open to others, or another user's, is ignored; so is a cache folder open to others.
    @Test func aLooseOrForeignCacheIsIgnored() throws {
        let setup = try Setup("onereq-loose")
        let keys = Keyring(single: Self.first)
        _ = try setup.push(1, keys)
        _ = try setup.push(2, keys)
        let path = setup.cacheFolder + "/" + (try setup.entries())[0]

        #expect(chmod(path, 0o644) == 0)
        #expect(Self.total(try setup.push(3, keys).1) == 2, "a loose entry is not used")
        #expect(Self.total(try setup.push(4, keys).1) == 1, "the push replaced it, 0600")

        if geteuid() == 0 {
            #expect(chown(path, 65534, 65534) == 0)
            #expect(Self.total(try setup.push(5, keys).1) == 2, "another user's entry is not used")
        }

        #expect(chmod(setup.cacheFolder, 0o755) == 0)
        #expect(Self.total(try setup.push(6, keys).1) == 2, "a folder open to others is not used")
        #expect(Self.total(try setup.push(7, keys).1) == 2)
    }
}
