import Foundation
import Testing
@testable import PITRArchive
@testable import PITRNative
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// TAILTOWN_S3_OBJECT_LOCK against moto's Object Lock: a bucket without it is refused before anything is written,
/// every object is written locked and with its SHA-256 checksum, the mode is recorded and a writer without the setting
/// is refused, and a delete marker never hides an object from a read.
@Suite("S3 Object Lock", .serialized)
struct S3ObjectLockTests {
    static let lock = S3ObjectLock(mode: .governance, margin: 7 * 86_400, horizon: 86_400)

    func storage(bucket: String, lock: S3ObjectLock? = S3ObjectLockTests.lock) throws -> S3Storage {
        var configuration = try S3TestRepository.configuration(bucket: bucket, prefix: "pg", partSize: S3Configuration.minimumPartSize)
        configuration.objectLock = lock
        return try S3Storage(configuration: configuration, log: Log(level: .error))
    }

    func lockedBucket() throws -> String {
        let bucket = MotoServer.uniqueBucket("locked")
        try MotoServer.createBucket(bucket, objectLock: true)
        return bucket
    }

    /// The retention S3 records for `key` (a HEAD's lock headers): mode and retain-until date.
    func retention(_ storage: S3Storage, _ key: String) throws -> (mode: String?, until: UTCTime?) {
        let response = try storage.client.send(try S3Client.Operation(method: "HEAD", key: storage.configuration.objectKey(key)))
        return (response.header("x-amz-object-lock-mode"), response.header("x-amz-object-lock-retain-until-date").flatMap(S3Storage.listingTime))
    }

    /// What someone else's DELETE without a version id does to a locked object: it adds a delete marker, the locked
    /// version stays (tailtown-pitr never sends one in a locked repository).
    func deleteWithoutVersion(_ storage: S3Storage, _ key: String) throws {
        _ = try storage.client.send(try S3Client.Operation(method: "DELETE", key: storage.configuration.objectKey(key), accepting: [404]))
    }

    @Test func aBucketWithoutObjectLockIsRefusedBeforeAnythingIsWritten() throws {
        let bucket = MotoServer.uniqueBucket("unlocked")
        try MotoServer.createBucket(bucket)
        let storage = try storage(bucket: bucket)
        let refusal = #expect(throws: S3Error.self) { try Repository(storage: storage, key: nil).checkEncryption() }
        #expect(refusal?.description.contains("TAILTOWN_S3_OBJECT_LOCK is governance but bucket \(bucket) has no Object Lock enabled") == true)
        #expect(try storage.list(prefix: "").isEmpty)
    }

    @Test func everyObjectIsLockedAndChecksummedAndTheModeRecorded() throws {
        let storage = try storage(bucket: try lockedBucket())
        let key = MasterKey(bytes: Array(repeating: 3, count: 32))
        let repository = Repository(storage: storage, key: key)
        try repository.checkEncryption()
        #expect(try repository.recordedState()?.objectLock == "GOVERNANCE")

        let small = Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let large = Array((0..<(11 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let start = UTCTime.now()
        #expect(try storage.store("small", small) == .stored)
        #expect(try storage.store("large", large) == .stored)  // three parts
        for object in ["small", "large", Repository.markerKey] {
            let (mode, until) = try retention(storage, object)
            #expect(mode == "GOVERNANCE", "\(object)")
            let seconds = (until?.secondsSinceEpoch ?? 0) - start.secondsSinceEpoch
            #expect(abs(seconds - Self.lock.secondsAtWrite) < 120, "\(object): locked \(seconds) s")
        }
        #expect(try storage.load("large") == large)
        // The checksum S3 recorded for the single PUT is the body's SHA-256.
        let head = try S3Client.Operation(method: "HEAD", key: storage.configuration.objectKey("small"), headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(try storage.client.send(head).header("x-amz-checksum-sha256") == Base64.encode(try SHA256Hasher.digest(small)))

        // A writer that would not lock what it writes is refused in a repository that records the lock.
        let unlocked = Repository(storage: try self.storage(bucket: storage.configuration.bucket, lock: nil), key: key)
        let refused = #expect(throws: ArchiveError.self) { try unlocked.checkEncryption() }
        #expect(refused?.description.contains("locks every object it holds (S3 Object Lock, GOVERNANCE) but TAILTOWN_S3_OBJECT_LOCK is not set here") == true)
    }

    @Test func aDeleteMarkerHidesNoObjectFromAReader() throws {
        let storage = try storage(bucket: try lockedBucket())
        let bytes = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 11) })
        #expect(try storage.store("wal/segment", bytes) == .stored)
        #expect(try storage.store("wal/other", [1, 2, 3]) == .stored)
        try deleteWithoutVersion(storage, "wal/segment")
        // Listed (from the versions, in as many requests as a listing of the objects), as a restore's planner must see it.
        let before = try #require(storage.requests)
        let listed = try storage.listObjects(prefix: "wal/")
        #expect(listed.map(\.key) == ["wal/other", "wal/segment"] && listed.map(\.size) == [3, bytes.count])
        #expect(try #require(storage.requests) - before == { var one = RequestCounts(); one.writes = 1; return one }())
        #expect(try storage.size(of: "wal/segment") == bytes.count)
        #expect(try storage.load("wal/segment") == bytes)
        #expect(try storage.readTail(of: "wal/segment", count: 48) == Array(bytes.suffix(48)))
        #expect(try storage.readHead(of: "wal/segment", count: 16) == Array(bytes.prefix(16)))
        // Without the lock setting the driver does not look behind a 404; a key never written is missing either way.
        let unlocked = try self.storage(bucket: storage.configuration.bucket, lock: nil)
        #expect(try unlocked.size(of: "wal/segment") == nil)
        #expect(try unlocked.list(prefix: "wal/") == ["wal/other"])
        #expect(try storage.size(of: "wal/never") == nil)
        #expect(throws: StorageError.notFound(object: storage.describe("wal/never"))) { _ = try storage.openForReading("wal/never") }
    }

    @Test func piecesAndLocksAreReachedThroughADeleteMarker() throws {
        let storage = try storage(bucket: try lockedBucket())
        let pieces = (0..<3).map { index in Array((0..<(200_000 + index)).map { UInt8(truncatingIfNeeded: $0 &* (index + 3)) }) }
        for (index, piece) in pieces.enumerated() { #expect(try storage.store("backups/b/base.tar.000\(index)", piece) == .stored) }
        try deleteWithoutVersion(storage, "backups/b/base.tar.0001")
        // A sequence of pieces reads the hidden one through its marker, the read ahead of the next one included.
        let sequence = storage.openSequence((0..<3).map { "backups/b/base.tar.000\($0)" })
        var read: [[UInt8]] = []
        while let source = try sequence.next() { read.append(try readAll(source)) }
        #expect(read == pieces)
        // Its lock is read and extended on the version the marker hides: one PutObjectRetention, never one on the marker
        // (which has no retention: moto answers 500, S3 405).
        let written = try #require(try storage.lockEnd(of: "backups/b/base.tar.0001"))
        let later = UTCTime(secondsSinceEpoch: written.secondsSinceEpoch + 86_400)
        let before = try #require(storage.requests)
        try storage.extendLock(of: "backups/b/base.tar.0001", until: later)
        #expect(try #require(storage.requests) - before == { var one = RequestCounts(); one.writes = 1; return one }())
        #expect(try storage.lockEnd(of: "backups/b/base.tar.0001") == later)
        // Met again and again (read, its lock read twice), it is warned of once.
        #expect(storage.client.log.subjects(warnedAbout: Log.deleteMarkerTopic) == [storage.describe("backups/b/base.tar.0001")])
        #expect(storage.client.log.deleteMarkerSummary?.hasPrefix("1 object was read through delete markers: first \(storage.describe("backups/b/base.tar.0001"))") == true)
    }

    @Test func walFetchReadsASegmentThroughItsDeleteMarker() throws {
        let fake = try FakeDataDirectory()
        let storage = try storage(bucket: try lockedBucket())
        let key = MasterKey(bytes: Array(repeating: 5, count: 32))
        let repository = Repository(storage: storage, key: key)
        let push = WALPush(repository: repository, options: ObjectOptions(compression: .lz4, key: key), log: Log(level: .error))
        let path = try fake.makeSegment(1)
        #expect(try push.push(path: path) == .stored(originalBytes: 1 << 20))
        let archived = try storage.list(prefix: "wal/").filter { $0.hasSuffix(fake.name(1).fileName) }
        #expect(archived.count == 1)
        try deleteWithoutVersion(storage, archived[0])
        let fetch = WALFetch(repository: Repository(storage: try self.storage(bucket: storage.configuration.bucket), key: key), log: Log(level: .error))
        #expect(try fetch.fetch(name: fake.name(1).fileName, to: fake.wal + "/RECOVERYXLOG") == .fetched(originalBytes: 1 << 20))
        #expect(try Data(contentsOf: URL(fileURLWithPath: fake.wal + "/RECOVERYXLOG")) == Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
