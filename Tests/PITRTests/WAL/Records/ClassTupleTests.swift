import Foundation
import Testing
@testable import PITRWAL

/// pg_class rows followed through real WAL (Fixtures/capture-class-updates.sh, on 15 and on 18, and with wal_compression
/// = pglz on 18, lz4 and zstd on 17): CREATE TABLE b, whose insert carries its page's full image (compressed, with
/// wal_compression), then ALTER TABLE b RENAME TO c and TRUNCATE c, updates logged with prefix and suffix taken from
/// the old row, rebuilt from the rows known before them.
@Suite struct ClassTupleTests {
    private struct Capture {
        let changes: WALChangeSummary
        let oid: UInt32
        let file: UInt32
        let fileAfterTruncate: UInt32
    }

    /// `fixture` is the major, and the wal_compression method after a dash.
    private func capture(_ fixture: String) throws -> Capture {
        let major = try #require(Int(fixture.prefix(2)))
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let facts = try String(contentsOf: folder.appendingPathComponent("class-updates-\(fixture).txt"), encoding: .utf8)
        var said: [String: String] = [:]
        for line in facts.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { said[String(parts[0])] = String(parts[1]) }
        }
        let size = try WALSegmentSize(megabytes: 1)
        let segment = try WALSegmentName(parsing: said["segment"] ?? "", segmentSize: size)
        var bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent("class-updates-\(fixture).wal")))
        bytes += [UInt8](repeating: 0, count: Int(size.bytes) - bytes.count)
        let changes = try WALRecordScanner(segmentSize: size, majorVersion: major).summarize(segment: segment, bytes: bytes) { nil }.changes
        return Capture(changes: changes, oid: try #require(said["oid"].flatMap { UInt32($0) }), file: try #require(said["file"].flatMap { UInt32($0) }),
                       fileAfterTruncate: try #require(said["file_after_truncate"].flatMap { UInt32($0) }))
    }

    private func rows(_ changes: [ClassTupleChange], oid: UInt32) -> (rows: [String], unreadable: Int) {
        var replay = ClassTupleReplay()
        let rows = changes.compactMap { replay.apply($0)?.row }.filter { $0.oid == oid }
        return (rows.map { "\($0.name)/\($0.fileNumber)" }, replay.unreadable)
    }

    @Test(arguments: ["15", "18", "18-pglz", "17-lz4", "17-zstd"])
    func renameAndTruncateAreFollowedThroughCompressedUpdates(fixture: String) throws {
        let capture = try capture(fixture)
        let compressed = capture.changes.classTuples.filter {
            if case .compressed = $0 { return true } else { return false }
        }
        #expect(compressed.count == 2, "\(capture.changes.classTuples.count) pg_class tuple changes, \(compressed.count) compressed")
        let followed = rows(capture.changes.classTuples, oid: capture.oid)
        #expect(followed.rows == ["b/\(capture.file)", "c/\(capture.file)", "c/\(capture.fileAfterTruncate)"])
        #expect(followed.unreadable == 0)
        // Without the page's image and the insert, the old row is unknown: the updates cannot be rebuilt, and say so.
        let blind = rows(Array(capture.changes.classTuples.drop { if case .compressed = $0 { return false } else { return true } }), oid: capture.oid)
        #expect(blind.rows.isEmpty && blind.unreadable == 2)
    }
}
