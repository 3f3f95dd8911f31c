import Foundation
import Testing
@testable import PITRRestore
@testable import PITRSupport

@Suite struct ManifestWriterTests {
    /// What ManifestWriter writes reads back as a manifest whose checksum holds, with every file and WAL range as given,
    /// a strange name's quote and control character included, past the 128 KiB the writer holds at a time.
    @Test func writesAManifestThatReadsBack() throws {
        let folder = try RestoreTestFolder()
        let file = try OpenDirectory.open(folder.path).createFile("backup_manifest", mode: 0o600)
        let writer = try ManifestWriter(file: file, systemIdentifier: 7_400_000_000_000_000_001)
        let modified = UTCTime(secondsSinceEpoch: 1_790_000_000)
        try writer.add(path: "backup_label", size: 225, modified: modified, crc32c: [1, 2, 3, 4])
        try writer.add(path: "pg_wal/000000010000000000000003", size: 16 << 20, modified: modified, crc32c: nil)
        try writer.add(path: "base/5/odd \"name\"\t", size: 0, modified: modified, crc32c: [0, 0, 0, 0])
        for index in 0..<2000 { try writer.add(path: "base/5/\(16384 + index)", size: 8192 * index, modified: modified, crc32c: [UInt8(index & 0xFF), 0, 0, 1]) }
        try writer.finish(walRanges: [.init(timeline: 1, startLSN: "0/3000028", endLSN: "0/3000100")])

        let text = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder.path + "/backup_manifest")))
        #expect(text.count > 128 << 10)
        let manifest = try BackupManifest(text)
        #expect(manifest.version == 2 && manifest.systemIdentifier == 7_400_000_000_000_000_001)
        #expect(manifest.files.count == 2003)
        #expect(manifest.files["backup_label"] == BackupManifest.File(size: 225, algorithm: .crc32c, checksum: [1, 2, 3, 4]))
        #expect(manifest.files["pg_wal/000000010000000000000003"] == BackupManifest.File(size: 16 << 20, algorithm: .none, checksum: []))
        #expect(manifest.files["base/5/odd \"name\"\t"]?.size == 0)
        #expect(manifest.files["base/5/17383"] == BackupManifest.File(size: 8192 * 999, algorithm: .crc32c, checksum: [0xE7, 0, 0, 1]))
        #expect(manifest.walRanges == [.init(timeline: 1, startLSN: "0/3000028", endLSN: "0/3000100")])
        #expect(String(decoding: text, as: UTF8.self).contains("\"Last-Modified\": \"2026-09-21 14:13:20 GMT\""))
    }
}
