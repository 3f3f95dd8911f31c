import Foundation
import Testing
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

        _ = try admission.accept(stranger, now: UTCTime.now())
        _ = try admission.accept(stranger, now: UTCTime.now())
        try archiveSegment(repository, stranger)
        #expect(try ArchiveIndex.identities(in: repository) == [old, stranger, upgraded])
    }
}
