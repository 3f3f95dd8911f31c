import Foundation
import Testing
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

/// The repository log and the sealed metadata beside it (docs/format.md, "Repository log"): what someone who can
/// write to the storage but holds no key can and cannot do.
@Suite struct RepositoryLogTests {
    let root = "/tmp/tailtown-log-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let key = MasterKey(bytes: Array(repeating: 3, count: 32))!
    let cluster = ClusterIdentity(majorVersion: 15, systemIdentifier: 42)
    let size = WALSegmentSize.standard

    private func repository(_ key: MasterKey?, root: String? = nil) -> Repository {
        Repository(storage: FileStorage(root: root ?? self.root), key: key)
    }

    private func path(_ key: String) -> String { root + "/" + key }

    private func bytes(_ key: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(key)))) }

    private func write(_ bytes: [UInt8], _ key: String) throws {
        try FileManager.default.createDirectory(atPath: FileSystem.dirname(of: path(key)), withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path(key)))
    }

    /// A format 1 object, as earlier releases wrote them (plain, bound to nothing).
    private func format1(_ content: [UInt8]) throws -> [UInt8] {
        let header = ObjectHeader(version: 1, compression: .none, cipher: .none, chunkSizeLog2: 0,
                                  keyID: Array(repeating: 0, count: 8), salt: Array(repeating: 0, count: 32))
        return header.bytes + content + (try referenceTrailer(content, key: nil).bytes)
    }

    private func decode(_ file: WALFileName, in repository: Repository) throws -> [UInt8] {
        let archive = WALArchive(repository: repository, identity: cluster)
        let object = repository.storage.describe(archive.key(for: file))
        let sink = MemorySink(limit: 1 << 20, object: object)
        _ = try ObjectDecoder(key: repository.key).decode(from: try repository.storage.openForReading(archive.key(for: file)), to: sink,
                                                          object: object, identity: try archive.objectIdentity(of: file))
        return sink.bytes
    }

    @Test func aNewRepositoryStartsItsLogSealedAndBindsArchivesToItsID() throws {
        defer { _ = system("rm -rf '\(root)'") }
        try WALArchive(repository: repository(key), identity: cluster).checkKeyAndSegmentSize(size, file: "first")
        let first = RepositoryLog.key(1)
        #expect(try bytes(first).starts(with: ObjectHeader.magic))
        let state = try #require(try repository(key).recordedState())
        #expect(state.repositoryID.count == 32 && state.encrypted && state.acceptedKeys == [key.keyIDHex])
        #expect(state.archives == [cluster.archiveID: .none])
        #expect(try repository(key).readMetadata(Repository.markerKey)?["repository-id"] == state.repositoryID)
        #expect(try WALArchive(repository: repository(key), identity: cluster).info().repositoryID == state.repositoryID)
        #expect(try bytes("wal/\(cluster.archiveID)/archive.info").starts(with: ObjectHeader.magic))
        // The archive's first push added it to the log; a second process adds nothing.
        let entries = try repository(key).storage.list(prefix: RepositoryLog.folder)
        #expect(entries == [first, RepositoryLog.key(2)])
        try WALArchive(repository: repository(key), identity: cluster).checkKeyAndSegmentSize(size, file: "second")
        #expect(try repository(key).storage.list(prefix: RepositoryLog.folder) == entries)
    }

    @Test func aLogEntryChangedCopiedOrReplacedByPlainTextIsRefused() throws {
        defer { _ = system("rm -rf '\(root)'") }
        try repository(key).checkEncryption()
        let original = try bytes(RepositoryLog.key(1))
        var flipped = original
        flipped[flipped.count - 60] ^= 1
        try write(flipped, RepositoryLog.key(1))
        #expect(throws: ObjectFormatError.self) { try repository(key).checkEncryption() }

        try write(original, RepositoryLog.key(1))
        try write(original, RepositoryLog.key(2))
        #expect(throws: ObjectFormatError.self) { try repository(key).checkEncryption() }

        try write(Array("repository-id=\(String(repeating: "a", count: 32))\nencryption=none\nsequence=2\n".utf8), RepositoryLog.key(2))
        let plain = #expect(throws: ArchiveError.self) { try repository(nil).checkEncryption() }
        #expect(plain?.description.contains("sealed") == true, "\(String(describing: plain))")
    }

    @Test func theLogNamesTheKeyItNeeds() throws {
        defer { _ = system("rm -rf '\(root)'") }
        try repository(key).checkEncryption()
        let missing = #expect(throws: ArchiveError.self) { try repository(nil).checkEncryption() }
        #expect(missing?.description == ArchiveError.repositoryEncrypted(repository: repository(nil).name, keyID: key.keyIDHex).description)
        let other = MasterKey(bytes: Array(repeating: 4, count: 32))!
        let wrong = #expect(throws: ArchiveError.self) { try repository(other).checkEncryption() }
        #expect(wrong?.description == ArchiveError.wrongKey(repository: repository(nil).name, repositoryKeyID: key.keyIDHex,
                                                             givenKeyID: other.keyIDHex).description)
    }

    /// After a rotation the new key joins the accepted keys in an entry sealed by the retired one, then the state is
    /// sealed again under the new key, so the retired key is never needed to read the log; a key never accepted,
    /// alone, is refused.
    @Test func aNewKeyJoinsOnlyBesideAnAcceptedOne() throws {
        defer { _ = system("rm -rf '\(root)'") }
        try WALArchive(repository: repository(key), identity: cluster).checkKeyAndSegmentSize(size, file: "first")
        let next = MasterKey(bytes: Array(repeating: 5, count: 32))!
        let alone = #expect(throws: ArchiveError.self) { try repository(next).checkEncryption() }
        #expect(alone?.description.contains(key.keyIDHex) == true && alone?.description.contains(next.keyIDHex) == true)

        let rotated = Repository(storage: FileStorage(root: root), keyring: Keyring([(.retired, key), (.active, next)]))
        try WALArchive(repository: rotated, identity: cluster).checkKeyAndSegmentSize(size, file: "after the activation")
        let log = RepositoryLog(repository: repository(next))
        let newest = try #require(try log.newest())
        #expect(newest.state.acceptedKeys == [key.keyIDHex, next.keyIDHex] && newest.keyID == next.keyIDHex)
        #expect(try RepositoryLog(repository: rotated).read(newest.sequence - 1).keyID == key.keyIDHex)
        // archive.info was sealed again under the new key, under a name of its own (the first one is never rewritten),
        // and the new key now works alone. A host left with only the old key (its key file not updated, against the
        // runbook) is refused, naming the key it lacks.
        #expect(Array(try bytes("wal/\(cluster.archiveID)/archive.info")[8..<16]) == key.keyID)
        #expect(Array(try bytes("wal/\(cluster.archiveID)/archive.info.sealed.00000001")[8..<16]) == next.keyID)
        try WALArchive(repository: repository(next), identity: cluster).checkKeyAndSegmentSize(size, file: "new key alone")
        let stale = #expect(throws: ArchiveError.self) { try repository(key).checkEncryption() }
        #expect(stale?.description.contains(next.keyIDHex) == true, "\(String(describing: stale))")
        #expect(try log.newest()?.state.acceptedKeys == [key.keyIDHex, next.keyIDHex])
    }

    /// Newer `archive.info.sealed.<n>` that do not authenticate (random bytes; sealed by a key the key file does not hold)
    /// are passed over, in order, to the newest that does: the readers go on and `delete` supersedes nothing.
    @Test func aForgedNewerSealedRecordIsPassedOver() throws {
        defer { _ = system("rm -rf '\(root)'") }
        try WALArchive(repository: repository(key), identity: cluster).checkKeyAndSegmentSize(size, file: "first")
        let next = MasterKey(bytes: Array(repeating: 5, count: 32))!
        let rotated = Repository(storage: FileStorage(root: root), keyring: Keyring([(.retired, key), (.active, next)]))
        try WALArchive(repository: rotated, identity: cluster).checkKeyAndSegmentSize(size, file: "after the activation")
        let folder = "wal/\(cluster.archiveID)/"
        try write(Array(repeating: 0x5A, count: 200), folder + "archive.info.sealed.00000002")
        let stranger = WALArchive(repository: repository(MasterKey(bytes: Array(repeating: 9, count: 32))!), identity: cluster)
        let forged = folder + "archive.info.sealed.00000003"
        #expect(try SealedMetadata.store(MetadataText(parsing: Array("repository-id=0\n".utf8), object: forged), at: forged,
                                         identity: stranger.infoIdentity(forged), under: stranger.repository.key, in: stranger.repository) == .stored)

        let reader = WALArchive(repository: repository(next), identity: cluster)
        let listing = try reader.repository.storage.listObjects(prefix: folder)
        let (standing, rejected) = try reader.standingInfo(in: listing)
        #expect(standing?.entry.object.key == folder + "archive.info.sealed.00000001")
        #expect(rejected.map(\.object) == [forged, folder + "archive.info.sealed.00000002"].map(reader.repository.storage.describe))
        #expect(try reader.supersededInfo(in: listing).isEmpty)
        #expect(try reader.checkedSegmentSize() == size)
        try WALArchive(repository: repository(next), identity: cluster).checkKeyAndSegmentSize(size, file: "past the forged records")
    }

    @Test func anArchiveInfoFromAnotherRepositoryIsRefused() throws {
        let otherRoot = root + "-other"
        defer { _ = system("rm -rf '\(root)' '\(otherRoot)'") }
        try WALArchive(repository: repository(key), identity: cluster).checkKeyAndSegmentSize(size, file: "first")
        try WALArchive(repository: repository(key, root: otherRoot), identity: cluster).checkKeyAndSegmentSize(size, file: "first")
        let info = "wal/\(cluster.archiveID)/archive.info"
        try write([UInt8](try Data(contentsOf: URL(fileURLWithPath: otherRoot + "/" + info))), info)
        let error = #expect(throws: ArchiveError.self) { try WALArchive(repository: repository(key), identity: cluster).checkedSegmentSize() }
        #expect(error?.description.contains("belongs to repository") == true, "\(String(describing: error))")
    }

    /// A repository an earlier release made: plain-text marker and archive.info, format 1 objects. The first push of
    /// this release records the switch; format 1 objects stay readable under the names they had, and nowhere else.
    @Test func aRepositoryOfAnEarlierReleaseSwitchesAndKeepsOnlyItsOwnFormat1Objects() throws {
        defer { _ = system("rm -rf '\(root)'") }
        try write(Array("format=1\nencryption=none\nkey-id=\n".utf8), Repository.markerKey)
        let legacyInfo = Array("system-identifier=42\npg-version=15\nsegment-size=\(size.bytes)\nencryption=none\nkey-id=\n".utf8)
        let infoKey = "wal/\(cluster.archiveID)/archive.info"
        try write(legacyInfo, infoKey)
        let archive = WALArchive(repository: repository(nil), identity: cluster)
        let segment = { (timeline: UInt32, number: UInt64) in WALFileName.segment(WALSegmentName(timeline: TimelineID(timeline), number: number, segmentSize: self.size)) }
        let old = try format1(Array("an old segment".utf8))
        for number: UInt64 in 1...3 { try write(old, archive.key(for: segment(1, number))) }

        // Before the switch, reading needs and writes nothing.
        #expect(try decode(segment(1, 2), in: repository(nil)) == Array("an old segment".utf8))
        #expect(try repository(nil).recordedState() == nil)

        try WALArchive(repository: repository(nil), identity: cluster).checkKeyAndSegmentSize(size, file: "first after the upgrade")
        let state = try #require(try repository(nil).recordedState())
        #expect(state.archives[cluster.archiveID] == FormatSwitch(lastSegments: [1: 3], lastHistory: 0))
        // Sealed under a name of its own: the plain text stays as it was, never rewritten.
        #expect(try bytes(infoKey) == legacyInfo)
        #expect(try bytes(infoKey + ".sealed.00000001").starts(with: ObjectHeader.magic))
        #expect(try decode(segment(1, 2), in: repository(nil)) == Array("an old segment".utf8))

        // An old object copied to a later name, or to another timeline's, is refused.
        for copy in [segment(1, 4), segment(2, 2)] {
            try write(old, archive.key(for: copy))
            #expect(throws: ObjectFormatError.self) { try decode(copy, in: repository(nil)) }
        }
        // Removing the sealed one does not undo the switch: the log's record stands, for readers and for the next push,
        // which seals it again.
        try FileManager.default.removeItem(atPath: root + "/" + infoKey + ".sealed.00000001")
        #expect(throws: ObjectFormatError.self) { try decode(segment(1, 4), in: repository(nil)) }
        #expect(try decode(segment(1, 3), in: repository(nil)) == Array("an old segment".utf8))
        try WALArchive(repository: repository(nil), identity: cluster).checkKeyAndSegmentSize(size, file: "next")
        #expect(try bytes(infoKey + ".sealed.00000001").starts(with: ObjectHeader.magic))
        #expect(throws: ObjectFormatError.self) { try decode(segment(1, 4), in: repository(nil)) }
        // The next push reads it, and writes nothing.
        try WALArchive(repository: repository(nil), identity: cluster).checkKeyAndSegmentSize(size, file: "after")
        #expect(try FileStorage(root: root).list(prefix: infoKey) == [infoKey, infoKey + ".sealed.00000001"])
    }
}
