import Foundation
import Testing

/// One archive-then-recover run: how the cluster and the repository are set up and how much WAL the load makes.
struct RecoveryScenario: CustomTestStringConvertible, Sendable {
    let label: String
    let walSegmentSizeMB: Int
    let compression: String
    let encrypted: Bool
    let pgbenchScale: Int
    let transactions: Int
    let minimumSegments: Int

    var testDescription: String { label }

    static let lz4Encrypted = RecoveryScenario(
        label: "16 MB segments, lz4, encrypted", walSegmentSizeMB: 16, compression: "lz4", encrypted: true,
        pgbenchScale: 25, transactions: 5_000, minimumSegments: 20)
    static let zstdPlain64MB = RecoveryScenario(
        label: "64 MB segments, zstd, unencrypted", walSegmentSizeMB: 64, compression: "zstd", encrypted: false,
        pgbenchScale: 12, transactions: 3_000, minimumSegments: 3)
}

extension PostgreSQLIntegration {
    /// A cluster archives through `wal-push` under pgbench; a base backup taken before the load
    /// recovers through `wal-fetch` alone and must end up with exactly the same rows.
    @Suite struct ArchiveAndRecover {
        @Test(arguments: [RecoveryScenario.lz4Encrypted, .zstdPlain64MB])
        func archiveThenRecoverFromBaseBackup(_ scenario: RecoveryScenario) throws {
            let sandbox = try Sandbox()
            let tailtown = try Tailtown.configure(in: sandbox, compression: scenario.compression, encrypted: scenario.encrypted)
            let primary = try PostgresCluster.initialize(in: sandbox, name: "primary", walSegmentSizeMB: scenario.walSegmentSizeMB)
            try primary.archive(through: tailtown)
            try primary.start()

            // Taken before the load: every change the load makes must come back through wal-fetch.
            let restored = try PostgresCluster.baseBackup(of: primary, name: "restored")
            try primary.pgbench(["-i", "-q", "-s", String(scenario.pgbenchScale)])
            try primary.pgbench(["-n", "-c", "2", "-j", "2", "-t", String(scenario.transactions)])
            let lastName = try primary.switchWAL()
            try primary.waitUntilArchived(lastName)
            #expect(try primary.archiveFailures() == 0)

            // Every segment from the first archived to the switched one is in the repository, where the layout says.
            let systemIdentifier = try primary.systemIdentifier()
            let repository = tailtown.repository
            #expect(FileManager.default.fileExists(atPath: repository.marker), "no repository marker at \(repository.marker)")
            let archived = try repository.segments(systemIdentifier: systemIdentifier, segmentSizeMB: scenario.walSegmentSizeMB)
            let first = try #require(archived.first, "no segment under \(repository.archiveDirectory(systemIdentifier: systemIdentifier))")
            let last = try #require(WALSegment(lastName, segmentSizeMB: scenario.walSegmentSizeMB))
            let expected = first.through(last)
            #expect(first.name == "000000010000000000000001", "archiving was on from the start, yet the first archived segment is \(first)")
            #expect(expected.count >= scenario.minimumSegments, "the load made only \(expected.count) segments")
            let missing = expected.filter {
                !FileManager.default.fileExists(atPath: repository.segmentObject($0.name, systemIdentifier: systemIdentifier))
            }
            #expect(missing.isEmpty, "segments missing from the repository: \(missing)")
            #expect(try repository.permissionViolations() == [])

            try restored.recover(through: tailtown)

            let original = try primary.pgbenchFingerprint()
            #expect(original["pgbench_history"]?.hasPrefix("\(2 * scenario.transactions) rows") == true)
            let recovered = try restored.pgbenchFingerprint()
            #expect(recovered == original)
            try restored.stop()
            try primary.stop()
        }
    }
}
