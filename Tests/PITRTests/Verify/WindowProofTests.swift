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
        #expect(try WindowProof.load(archive: synthetic.identity, from: repository) == nil)
        try Self.sample().save(archive: synthetic.identity, in: repository)
        #expect(try WindowProof.load(archive: synthetic.identity, from: repository) == Self.sample())
        // Copied to another archive's name, it is refused: it proves nothing about that archive's segments.
        let other = ClusterIdentity(majorVersion: 16, systemIdentifier: 42)
        try FileManager.default.copyItem(atPath: synthetic.path(WindowProof.key(of: synthetic.identity)), toPath: synthetic.path(WindowProof.key(of: other)))
        #expect(throws: ObjectFormatError.self) { try WindowProof.load(archive: other, from: repository) }
        // Plain text (written without the key) counts as nothing proven.
        try Data("format=1\ntime=2026-06-15T12:00:00Z\nunprovable-seconds=0\nunprovable-stretches=0\n".utf8)
            .write(to: URL(fileURLWithPath: synthetic.path(WindowProof.key(of: synthetic.identity))))
        #expect(try WindowProof.load(archive: synthetic.identity, from: repository) == nil)
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
