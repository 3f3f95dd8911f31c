import Foundation
import Testing
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL

/// The remembered proof of `verify --window`: sealed, bound to its repository and archive, read back as written.
@Suite struct WindowProofTests {
    static let key = MasterKey(bytes: Array(repeating: 31, count: 32))!

    static func sample() -> WindowProof {
        WindowProof(outcome: .init(time: UTCTime(secondsSinceEpoch: 1_795_773_600), provenStart: PostgresTimestamp(unixSeconds: 1_795_770_000, microseconds: 250_000),
                                   provenEnd: PostgresTimestamp(unixSeconds: 1_795_773_000), unprovableSeconds: 120, unprovableStretches: 1),
                    segments: ["000000010000000000000002": .init(stamp: "00ff", facts: SegmentFacts(end: LSN(0x300_0000), firstCommit: PostgresTimestamp(rawValue: 5),
                                                                                                     lastCommit: PostgresTimestamp(rawValue: 9))),
                               "000000010000000000000003": .init(stamp: "abcd", facts: SegmentFacts(end: LSN(0x400_0000), firstCommit: nil, lastCommit: nil))])
    }

    @Test func isReadBackAsStoredAndBoundToItsArchive() throws {
        let synthetic = try SyntheticRepository(key: Self.key)
        let repository = synthetic.repository
        let series = WindowProof.series(of: synthetic.identity)
        #expect(try WindowProof.load(archive: synthetic.identity, from: repository) == nil)
        // An earlier release's single proof, sealed under its one name, is read.
        var older = Self.sample()
        older.outcome = .init(time: UTCTime(secondsSinceEpoch: 1_795_000_000), provenStart: nil, provenEnd: nil, unprovableSeconds: 9, unprovableStretches: 2)
        let repositoryID = try #require(try repository.recordedState()?.repositoryID)
        _ = try SealedMetadata.store(older.text(archive: synthetic.identity), at: series.legacy,
                                     identity: ObjectIdentity(["repository": repositoryID, "archive": synthetic.identity.archiveID, "file": "verify.window"]),
                                     under: Self.key, in: repository, compression: .zstd)
        #expect(try WindowProof.load(archive: synthetic.identity, from: repository) == older)
        // Each run writes a proof of its own, never replacing one; the newest decides, and delete removes the others.
        try Self.sample().save(archive: synthetic.identity, in: repository)
        #expect(try WindowProof.load(archive: synthetic.identity, from: repository) == Self.sample())
        try older.save(archive: synthetic.identity, in: repository)
        #expect(try WindowProof.load(archive: synthetic.identity, from: repository) == older)
        let newest = "verify/window-\(synthetic.identity.archiveID).00000002"
        #expect(try repository.storage.list(prefix: "verify") == ["verify.window.\(synthetic.identity.archiveID)", "verify/window-\(synthetic.identity.archiveID).00000001", newest])
        #expect(try RecordSeries.supersededVerifyRecords(in: repository, archives: [synthetic.identity]).map(\.key)
                == ["verify.window.\(synthetic.identity.archiveID)", "verify/window-\(synthetic.identity.archiveID).00000001"])
        // Copied to another archive's name, it is passed over: it proves nothing about that archive's segments.
        let other = ClusterIdentity(majorVersion: 16, systemIdentifier: 42)
        try FileManager.default.createDirectory(atPath: synthetic.path("verify"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: synthetic.path(newest), toPath: synthetic.path("verify/window-\(other.archiveID).00000001"))
        #expect(try WindowProof.load(archive: other, from: repository) == nil)
        // A newer one in plain text (written without the key) is passed over: the genuine one stands.
        try Data("format=1\ntime=2026-06-15T12:00:00Z\nunprovable-seconds=0\nunprovable-stretches=0\n".utf8)
            .write(to: URL(fileURLWithPath: synthetic.path("verify/window-\(synthetic.identity.archiveID).00000003")))
        #expect(try WindowProof.load(archive: synthetic.identity, from: repository) == older)
    }

    @Test func theStampChangesWithTheObject() throws {
        let trailer = Array(repeating: UInt8(7), count: 48)
        let stamp = try WindowProof.stamp(trailer: trailer, size: 100, modified: UTCTime(secondsSinceEpoch: 5))
        #expect(stamp.count == 32)
        #expect(try WindowProof.stamp(trailer: trailer, size: 100, modified: UTCTime(secondsSinceEpoch: 5)) == stamp)
        #expect(try WindowProof.stamp(trailer: trailer, size: 101, modified: UTCTime(secondsSinceEpoch: 5)) != stamp)
        #expect(try WindowProof.stamp(trailer: trailer, size: 100, modified: UTCTime(secondsSinceEpoch: 6)) != stamp)
        #expect(try WindowProof.stamp(trailer: [8] + trailer.dropFirst(), size: 100, modified: UTCTime(secondsSinceEpoch: 5)) != stamp)
    }
}
