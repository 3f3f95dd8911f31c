import Foundation
import Testing
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

/// Which new cluster may start an archive beside the ones a repository holds: a newer major (a
/// pg_upgrade) by itself, the same or an older major only after `accept-cluster`.
@Suite struct ClusterAdmissionTests {
    let root = NSTemporaryDirectory() + "tailtown-admission-\(UUID().uuidString)"

    func archiveSegment(_ repository: Repository, _ identity: ClusterIdentity) throws {
        try WALArchive(repository: repository, identity: identity).checkKeyAndSegmentSize(.standard, file: "segment of \(identity.archiveID)")
    }

    @Test func anUpgradeIsTakenAnUnrelatedClusterRefusedUntilAccepted() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repository = Repository(storage: FileStorage(root: root), key: nil)
        let admission = ClusterAdmission(repository: repository)
        let old = ClusterIdentity(majorVersion: 15, systemIdentifier: 111)
        try archiveSegment(repository, old)
        try archiveSegment(repository, old)

        let stranger = ClusterIdentity(majorVersion: 15, systemIdentifier: 222)
        let error = #expect(throws: ArchiveError.self) { try archiveSegment(repository, stranger) }
        #expect(error?.description.contains("archives cluster 15-111 and this cluster 15-222 is not of a newer major") == true, "\(String(describing: error))")
        #expect(error?.description.contains("run 'tailtown-pitr accept-cluster 15-222' once") == true)
        #expect(try ArchiveIndex.identities(in: repository) == [old])

        let upgraded = ClusterIdentity(majorVersion: 18, systemIdentifier: 333)
        try archiveSegment(repository, upgraded)
        // Older than the newest archived major now: a downgrade or a stray 16 is refused too.
        #expect(throws: ArchiveError.self) { try admission.check(ClusterIdentity(majorVersion: 16, systemIdentifier: 444)) }

        // The consent is written once, under a name of its own; accepting again writes nothing.
        let consent = try admission.accept(stranger, now: UTCTime.now())
        #expect(try admission.accept(stranger, now: UTCTime.now()) == consent)
        #expect(consent == repository.storage.describe("wal/15-222/consent/accepted.00000001"))
        #expect(try repository.storage.list(prefix: "wal/15-222/") == ["wal/15-222/consent/accepted.00000001"])
        try archiveSegment(repository, stranger)
        #expect(try ArchiveIndex.identities(in: repository) == [old, stranger, upgraded])
    }

    @Test func aConsentAnEarlierReleaseSealedStillCountsAndPlainTextDoesNot() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let key = MasterKey(bytes: Array(repeating: 9, count: 32))!
        let repository = Repository(storage: FileStorage(root: root), key: key)
        try archiveSegment(repository, ClusterIdentity(majorVersion: 15, systemIdentifier: 111))
        let stranger = ClusterIdentity(majorVersion: 15, systemIdentifier: 222)
        // Plain text under the old name (written without the key) does not count, and accept-cluster writes a sealed one.
        try FileManager.default.createDirectory(atPath: root + "/wal/15-222", withIntermediateDirectories: true)
        try Data("accepted=2026-01-01T00:00:00Z\n".utf8).write(to: URL(fileURLWithPath: root + "/wal/15-222/accepted"))
        #expect(throws: ArchiveError.self) { try archiveSegment(repository, stranger) }
        #expect(try ClusterAdmission(repository: repository).accept(stranger, now: UTCTime.now())
                == repository.storage.describe("wal/15-222/consent/accepted.00000001"))
        try archiveSegment(repository, stranger)
        // The old name sealed as an earlier release sealed it counts by itself.
        let other = ClusterIdentity(majorVersion: 15, systemIdentifier: 333)
        let identity = ObjectIdentity(["repository": try repository.state().repositoryID, "archive": other.archiveID, "file": "accepted"])
        _ = try SealedMetadata.store(MetadataText([("accepted", "2026-01-01T00:00:00Z")]), at: "wal/15-333/accepted", identity: identity,
                                     under: key, in: repository)
        try archiveSegment(repository, other)
    }

    /// A consent of random bytes under a newer name (anyone who can write to the bucket can put one there) is passed over:
    /// the genuine one still admits the cluster, and supersedes nothing.
    @Test func aForgedNewerConsentIsPassedOver() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repository = Repository(storage: FileStorage(root: root), key: MasterKey(bytes: Array(repeating: 9, count: 32))!)
        try archiveSegment(repository, ClusterIdentity(majorVersion: 15, systemIdentifier: 111))
        let stranger = ClusterIdentity(majorVersion: 15, systemIdentifier: 222)
        let admission = ClusterAdmission(repository: repository)
        _ = try admission.accept(stranger, now: UTCTime.now())
        try Data((0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
            .write(to: URL(fileURLWithPath: root + "/wal/15-222/consent/accepted.00000002"))
        try admission.check(stranger)
        #expect(try admission.accept(stranger, now: UTCTime.now()) == repository.storage.describe("wal/15-222/consent/accepted.00000001"))
        #expect(try admission.supersededConsents(of: stranger, in: repository.storage.listObjects(prefix: "wal/15-222/")).isEmpty)
    }
}
