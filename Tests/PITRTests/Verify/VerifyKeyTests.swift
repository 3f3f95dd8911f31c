import Foundation
import Testing
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL

/// `verify` counts objects per key and says when a retired key is needed by nothing any more.
@Suite struct VerifyKeyTests {
    static let first = MasterKey(bytes: Array(repeating: 21, count: 32))!
    static let second = MasterKey(bytes: Array(repeating: 22, count: 32))!
    static let rotated = Keyring([(.retired, first), (.active, second)])!

    func verify(_ repo: SyntheticRepository, _ keyring: Keyring, deep: Bool = false) throws -> VerifyReport {
        let repository = Repository(storage: repo.storage, keyring: keyring)
        return RepositoryVerifier(inventory: try RepositoryInventory.load(repository: repository),
                                  policy: RetentionPolicy(counts: [.daily: 3]), now: UTCTime(iso8601: "2026-06-15T12:00:00Z")!, deep: deep).run()
    }

    /// Segment `number` of timeline 1, encrypted with `key` (as after an activation).
    func putSegment(_ repo: SyntheticRepository, _ number: UInt64, key: MasterKey) throws {
        let file = WALFileName.segment(repo.segment(1, number))
        let upload = try repo.storage.startUpload(repo.walKey(file))
        _ = try ObjectEncoder(options: ObjectOptions(compression: .lz4, key: key))
            .encode(from: MemorySource(Array("segment \(number)".utf8)), to: upload, as: repo.archive.objectIdentity(of: file))
        _ = try upload.commit()
    }

    @Test func objectsPerKeyAndARetiredKeyNoLongerNeeded() throws {
        let repo = try SyntheticRepository(key: Self.first)
        try repo.addSegments(1...3)
        // The first push after the activation seals the repository's log and archive.info under the new key.
        try WALArchive(repository: Repository(storage: repo.storage, keyring: Self.rotated), identity: repo.identity)
            .checkKeyAndSegmentSize(repo.segmentSize, file: "after the activation")
        for number: UInt64 in 4...5 { try putSegment(repo, number, key: Self.second) }
        let (first, second) = (Self.first.keyIDHex, Self.second.keyIDHex)

        for deep in [false, true] {
            let report = try verify(repo, Self.rotated, deep: deep)
            #expect(report.isSound, "\(report.text)")
            #expect(report.keys == [.init(keyID: first, status: .retired, objects: 3), .init(keyID: second, status: .active, objects: 2)])
            #expect(report.unneededKeys.isEmpty)
            #expect(report.text.contains("objects by key: \(first) (retired) 3, \(second) (active) 2\n"), "\(report.text)")
            #expect(!report.text.contains("no longer needed"))
        }

        // Without the first key: its objects cannot be read, and verify says so without decoding them.
        let without = try verify(repo, Keyring(single: Self.second))
        #expect(without.problems == [.keyMissing(keyID: first, objects: 3)])
        #expect(without.text.contains("problem: 3 objects are encrypted with key \(first), which the configured keys do not include"))
        #expect(without.keys.last == .init(keyID: first, status: nil, objects: 3))

        // Once retention removed what the first key encrypted, it is needed by nothing.
        for number: UInt64 in 1...3 { try repo.storage.remove(repo.walKey(.segment(repo.segment(1, number)))) }
        let after = try verify(repo, Self.rotated)
        #expect(after.isSound && after.unneededKeys == [first])
        #expect(after.text.contains("key \(first) is no longer needed by any object within retention; keep an off-site copy, then remove it from key files\n"))
        let json = try JSONSerialization.jsonObject(with: Data(after.json.utf8)) as! [String: Any]
        #expect(json["unneeded_keys"] as? [String] == [first])
        let keys = try #require(json["keys"] as? [[String: Any]])
        #expect(keys.map { $0["id"] as? String } == [first, second])
        #expect(keys.map { $0["status"] as? String } == ["retired", "active"])
        #expect(keys.map { $0["objects"] as? Int } == [0, 2])
        // A pending key is not retired: it is about to be needed.
        let pending = try verify(repo, Keyring([(.pending, Self.first), (.active, Self.second)])!)
        #expect(pending.unneededKeys.isEmpty)
    }

    /// A retired key that still seals the repository log and archive.info (no push since the activation) is needed.
    @Test func aKeyThatStillSealsTheLogIsNeeded() throws {
        let repo = try SyntheticRepository(key: Self.first)
        let first = Self.first.keyIDHex
        #expect(try verify(repo, Self.rotated).unneededKeys.isEmpty)
        try WALArchive(repository: Repository(storage: repo.storage, keyring: Self.rotated), identity: repo.identity)
            .checkKeyAndSegmentSize(repo.segmentSize, file: "after the activation")
        #expect(try verify(repo, Self.rotated).unneededKeys == [first])
    }
}
