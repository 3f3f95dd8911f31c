import Testing
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRWAL
import PITRSupport

@Suite struct RepositoryTests {
    let root = "/tmp/tailtown-repository-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let key = MasterKey(bytes: Array(repeating: 1, count: 32))!
    let otherKey = MasterKey(bytes: Array(repeating: 2, count: 32))!

    private func repository(_ key: MasterKey?) -> Repository {
        Repository(storage: FileStorage(root: root), key: key)
    }

    @Test func encryptedRepositoryRefusesNoKeyAndOtherKey() throws {
        defer { _ = system("rm -rf '\(root)'") }
        try repository(key).checkEncryption()
        try repository(key).checkEncryption()
        let missing = #expect(throws: ArchiveError.self) { try repository(nil).checkEncryption() }
        guard case .repositoryEncrypted(_, let keyID) = missing else { Issue.record("got \(String(describing: missing))"); return }
        #expect(keyID == key.keyIDHex)
        let wrong = #expect(throws: ArchiveError.self) { try repository(otherKey).checkEncryption() }
        guard case .wrongKey(_, let stored, let given) = wrong else { Issue.record("got \(String(describing: wrong))"); return }
        #expect(stored == key.keyIDHex && given == otherKey.keyIDHex)
        #expect(!wrong!.description.contains(String(decoding: key.bytes, as: UTF8.self)))
    }

    @Test func plainRepositoryRefusesAKey() throws {
        defer { _ = system("rm -rf '\(root)'") }
        try repository(nil).checkEncryption()
        let error = #expect(throws: ArchiveError.self) { try repository(key).checkEncryption() }
        guard case .repositoryNotEncrypted = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func theRecordedSegmentSizeIsCheckedAndAnUnreadableOneIsNamed() throws {
        defer { _ = system("rm -rf '\(root)'") }
        let identity = ClusterIdentity(majorVersion: 15, systemIdentifier: 44)
        let archive = WALArchive(repository: repository(key), identity: identity)
        let none = #expect(throws: ArchiveError.self) { try archive.checkedSegmentSize() }
        guard case .noArchive = none else { Issue.record("got \(String(describing: none))"); return }
        let size = try WALSegmentSize(megabytes: 16)
        try archive.checkKeyAndSegmentSize(size, file: "first")
        #expect(try archive.checkedSegmentSize() == size)
        let otherKeyed = #expect(throws: ObjectFormatError.self) { try WALArchive(repository: repository(otherKey), identity: identity).checkedSegmentSize() }
        guard case .wrongKey = otherKeyed else { Issue.record("got \(String(describing: otherKeyed))"); return }

        let damaged = WALArchive(repository: repository(key), identity: ClusterIdentity(majorVersion: 15, systemIdentifier: 45))
        let text = MetadataText([("repository-id", try repository(key).state().repositoryID), ("system-identifier", "45"), ("pg-version", "15"),
                                 ("segment-size", "12345"), ("format-1", "none")])
        _ = try SealedMetadata.store(text, at: damaged.infoKey, identity: damaged.infoIdentity(damaged.infoKey), under: key, in: repository(key))
        let error = #expect(throws: ArchiveError.self) { try damaged.checkedSegmentSize() }
        #expect(error?.description.contains("archive.info") == true && error?.description.contains("12345") == true, "\(String(describing: error))")
    }

    @Test func metadataRoundTrip() throws {
        let text = MetadataText([("format", "1"), ("key-id", "")])
        #expect(try MetadataText(parsing: text.bytes, object: "x") == text)
        let garbage = #expect(throws: ArchiveError.self) { try MetadataText(parsing: Array("garbage\n".utf8), object: "x") }
        guard case .unreadableMetadata(let object, _) = garbage else { Issue.record("got \(String(describing: garbage))"); return }
        #expect(object == "x")
    }
}
