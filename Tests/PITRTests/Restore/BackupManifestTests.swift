import Foundation
import Testing
@testable import PITRNative
@testable import PITRPipeline
@testable import PITRRestore
@testable import PITRSupport

/// The manifest parser and the check of restored files against it. The fixture is the backup_manifest of a
/// real PostgreSQL 15 backup (pg_basebackup -Ft of a fresh initdb cluster).
@Suite struct BackupManifestTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pg15.backup_manifest")

    static func realManifest() throws -> [UInt8] { Array(try Data(contentsOf: fixture)) }

    /// A version 2 manifest of `files` (path, contents, algorithm), with its Manifest-Checksum, as PostgreSQL writes it.
    static func manifest(_ files: [(String, [UInt8], BackupManifest.ChecksumAlgorithm)]) throws -> [UInt8] {
        var text = "{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"System-Identifier\": 7441234567890123456,\n\"Files\": [\n"
        text += try files.map { path, contents, algorithm in
            var checksum = RunningChecksum.sizeOnly
            if algorithm == .crc32c { checksum = .crc32c(CRC32C()) }
            if algorithm == .sha256 { checksum = .sha256(try SHA256Hasher()) }
            try contents.withUnsafeBytes { try checksum.update($0) }
            let digest = try checksum.finish().map { ", \"Checksum-Algorithm\": \"\(algorithm.rawValue)\", \"Checksum\": \"\(hex($0))\"" } ?? ""
            return "{ \"Path\": \"\(path)\", \"Size\": \(contents.count), \"Last-Modified\": \"2026-12-06 05:12:02 GMT\"\(digest) }"
        }.joined(separator: ",\n")
        text += "\n],\n\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/2000028\", \"End-LSN\": \"0/2000100\" }\n],\n"
        let covered = Array(text.utf8)
        return covered + Array("\"Manifest-Checksum\": \"\(hex(try SHA256Hasher.digest(covered)))\"}\n".utf8)
    }

    @Test func parsesARealPostgreSQL15Manifest() throws {
        let manifest = try BackupManifest(try Self.realManifest())
        #expect(manifest.version == 1 && manifest.systemIdentifier == nil)
        #expect(manifest.files.count > 900)
        // PG_VERSION holds "15\n": the CRC-32C PostgreSQL wrote is ours, its bytes little-endian.
        let version = try #require(manifest.files["PG_VERSION"])
        #expect(version.size == 3 && version.algorithm == .crc32c)
        #expect(version.checksum == [0x8a, 0x74, 0x47, 0x22])
        var crc = RunningChecksum.crc32c(CRC32C())
        try Array("15\n".utf8).withUnsafeBytes { try crc.update($0) }
        #expect(try crc.finish() == version.checksum)
        #expect(manifest.files["global/pg_control"]?.size == 8192)
        #expect(manifest.files["backup_label"] != nil)
    }

    @Test func refusesATamperedManifest() throws {
        let real = try Self.realManifest()
        // One byte of a file's size changed: the Manifest-Checksum no longer matches.
        var tampered = real
        let sizeText = Array("\"Size\": 225".utf8)
        let at = try #require((0...(real.count - sizeText.count)).first { Array(real[$0..<$0 + sizeText.count]) == sizeText })
        tampered[at + sizeText.count - 1] = UInt8(ascii: "6")
        #expect(throws: BackupManifest.Invalid.self) { try BackupManifest(tampered) }
        // The checksum itself changed.
        var wrongChecksum = real
        let last = try #require(real.lastIndex(of: UInt8(ascii: "\"")))
        wrongChecksum[last - 1] = wrongChecksum[last - 1] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(throws: BackupManifest.Invalid.self) { try BackupManifest(wrongChecksum) }
        // Cut short, or without its checksum line.
        #expect(throws: BackupManifest.Invalid.self) { try BackupManifest(Array(real.dropLast(1))) }
        #expect(throws: BackupManifest.Invalid.self) { try BackupManifest(Array("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": []}\n".utf8)) }
    }

    @Test func parsesVersion2EncodedPathsAndEveryAlgorithm() throws {
        var text = try Self.manifest([("PG_VERSION", Array("16\n".utf8), .sha256), ("base/1/1259", [1, 2], .none)])
        #expect(try BackupManifest(text).systemIdentifier == 7441234567890123456)
        #expect(try BackupManifest(text).files["PG_VERSION"]?.algorithm == .sha256)
        // Encoded-Path (hex) for a name that is not valid UTF-8 text in JSON; SHA512 parsed, checked by size.
        text = Array(String(decoding: text, as: UTF8.self).replacingOccurrences(
            of: "{ \"Path\": \"base/1/1259\"", with: "{ \"Encoded-Path\": \"\(hex(Array("base/1/1259".utf8)))\"").utf8)
        text = Array(text[..<(text.lastIndex(of: UInt8(ascii: "\n"), before: text.count - 1) + 1)])
        text += Array("\"Manifest-Checksum\": \"\(hex(try SHA256Hasher.digest(text)))\"}\n".utf8)
        let manifest = try BackupManifest(text)
        #expect(manifest.files["base/1/1259"] == BackupManifest.File(size: 2, algorithm: .none, checksum: []))
    }

    /// The manifest read as it arrives, in pieces of any size: the same table as the whole text gives, and the text
    /// copied on the way byte for byte.
    @Test func readsAManifestInPiecesOfAnySize() throws {
        let real = try Self.realManifest()
        let whole = try BackupManifest(real)
        #expect(whole.files.count > 900 && whole.walRanges.count == 1)
        for piece in [1, 2, 13, 4096, real.count] {
            let copy = MemorySink(limit: real.count, object: "copy")
            let reader = try ManifestReader(copy: copy)
            for start in stride(from: 0, to: real.count, by: piece) {
                try Array(real[start..<min(start + piece, real.count)]).withUnsafeBytes { try reader.write($0) }
            }
            let manifest = try reader.finish()
            #expect(manifest.files == whole.files && manifest.walRanges == whole.walRanges && manifest.version == whole.version)
            #expect(copy.bytes == real)
        }
        // Every listed path is found, each at its index, and nothing else.
        for index in 0..<whole.files.count {
            #expect(whole.files.index(of: whole.files.path(at: index)) == index)
        }
        #expect(whole.files["PG_VERSIO"] == nil && whole.files["PG_VERSION0"] == nil && whole.files[""] == nil)
    }

    /// A damaged, truncated or forged manifest is refused, each with a reason that says what is wrong.
    @Test func refusesADamagedTruncatedOrForgedManifest() throws {
        let real = try Self.realManifest()
        func reason(_ text: [UInt8]) -> String? {
            do {
                _ = try BackupManifest(text)
                return nil
            } catch {
                return (error as? BackupManifest.Invalid)?.reason ?? "\(error)"
            }
        }
        // Cut anywhere: never accepted.
        for end in stride(from: 0, to: real.count, by: 97) {
            #expect(reason(Array(real[..<end])) != nil, "cut at \(end) of \(real.count) bytes")
        }
        #expect(reason(Array(real.dropLast())) == "its last line does not end with a newline")
        #expect(reason(Array(real.dropLast(2)) + [UInt8(ascii: "\n")])?.hasPrefix("it is not valid JSON: unexpected end") == true)
        #expect(reason(Array("{}\n".utf8)) == "it has fewer than two lines")

        // Forged: a size changed, the checksum left as it was.
        let text = String(decoding: real, as: UTF8.self)
        let forged = Array(text.replacingOccurrences(of: "\"Size\": 225,", with: "\"Size\": 226,").utf8)
        #expect(forged != real)
        #expect(reason(forged)?.hasPrefix("its Manifest-Checksum is ") == true)

        // Forged with the checksum made again over the forged text: each break of the format is named.
        func resealed(_ body: String) -> [UInt8] {
            var covered = Array(body.utf8)
            covered = Array(covered[...covered.lastIndex(of: UInt8(ascii: "\n"), before: covered.count - 1)])
            return covered + Array("\"Manifest-Checksum\": \"\(hex((try? SHA256Hasher.digest(covered)) ?? []))\"}\n".utf8)
        }
        let good = try Self.manifest([("PG_VERSION", Array("15\n".utf8), .crc32c), ("base/1/1259", [1, 2], .sha256)])
        let body = String(decoding: good, as: UTF8.self)
        #expect(reason(resealed(body)) == nil)
        let cases: [(String, String)] = [
            (body.replacingOccurrences(of: "base/1/1259", with: "PG_VERSION"), "file PG_VERSION is listed twice"),
            (body.replacingOccurrences(of: "\"Size\": 2,", with: "\"Size\": -2,"), "file base/1/1259 has no valid Size"),
            (body.replacingOccurrences(of: "\"SHA256\"", with: "\"MD5\""), "file base/1/1259 has unknown Checksum-Algorithm MD5"),
            (body.replacingOccurrences(of: "\"Checksum\": \"", with: "\"Checksum\": \"x"), "file PG_VERSION has no hex Checksum"),
            (body.replacingOccurrences(of: "{ \"Path\": \"PG_VERSION\"", with: "{ \"Pth\": \"PG_VERSION\""), "a file has neither Path nor a hex Encoded-Path"),
            (body.replacingOccurrences(of: "\"Files\": [\n", with: "\"Files\": [\n7,\n"), "a file has neither Path nor a hex Encoded-Path"),
            (body.replacingOccurrences(of: "\"Files\": [\n", with: "\"Files\": [\n[],\n"), "a file has neither Path nor a hex Encoded-Path"),
            (body.replacingOccurrences(of: "\"Timeline\": 1, ", with: ""), "a WAL range lacks its Timeline, Start-LSN or End-LSN"),
            (body.replacingOccurrences(of: "\"Files\": [", with: "\"Fils\": ["), "it has no Files list"),
            (body.replacingOccurrences(of: "\"System-Identifier\": 7441234567890123456,\n", with: ""), "version 2 without a System-Identifier"),
            (body.replacingOccurrences(of: "Version\": 2", with: "Version\": 3"), "PostgreSQL-Backup-Manifest-Version is missing or not 1 or 2"),
            (body.replacingOccurrences(of: "\"System-Identifier\": 7441234567890123456,\n", with: "\"System-Identifier\": 7441234567890123456,\n\"System-Identifier\": 1,\n"),
             "it lists System-Identifier twice"),
            (body.replacingOccurrences(of: "\"Size\": 2,", with: "\"Size\": 2, \"Size\": 3,"), "an entry of its Files list has Size twice"),
            (body.replacingOccurrences(of: "\"Size\": 2,", with: "\"Size\": 2"), "it is not valid JSON: expected , or } at byte"),
        ]
        for (forgedBody, expected) in cases {
            let got = reason(resealed(forgedBody))
            #expect(got?.hasPrefix(expected) == true, "\(expected): got \(got ?? "accepted")")
        }
        // A Manifest-Checksum that is not a SHA-256.
        #expect(reason(Array(body.replacingOccurrences(of: "Manifest-Checksum\": \"", with: "Manifest-Checksum\": \"ab").utf8))
            == "Manifest-Checksum is missing or not a SHA-256 in hex")
    }

    /// The directory-level check: one flipped byte, one missing file and one extra file are each named.
    @Test func findsAFlippedByteAMissingFileAndAnExtraFile() throws {
        let files: [(String, [UInt8], BackupManifest.ChecksumAlgorithm)] = [
            ("PG_VERSION", Array("15\n".utf8), .crc32c),
            ("base/5/1259", [UInt8](repeating: 3, count: 8192), .crc32c),
            ("global/pg_control", [UInt8](repeating: 9, count: 8192), .sha256),
            ("empty", [], .crc32c),
        ]
        let manifest = try BackupManifest(try Self.manifest(files))
        func restored(_ change: (RestoreTestFolder) throws -> Void) throws -> RestoreTestFolder {
            let folder = try RestoreTestFolder()
            for (path, contents, _) in files {
                try FileManager.default.createDirectory(atPath: folder.path + "/" + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(contents).write(to: URL(fileURLWithPath: folder.path + "/" + path))
            }
            // What pg_verifybackup ignores, and restore's marker.
            try FileManager.default.createDirectory(atPath: folder.path + "/pg_wal/archive_status", withIntermediateDirectories: true)
            for name in ["backup_manifest", "postgresql.auto.conf", "recovery.signal", "pg_wal/000000010000000000000002", RestoreMarker.fileName] {
                try Data("x".utf8).write(to: URL(fileURLWithPath: folder.path + "/" + name))
            }
            try change(folder)
            return folder
        }
        func check(_ folder: RestoreTestFolder) throws {
            try ManifestCheck(manifest: manifest).verify(directory: try OpenDirectory.open(folder.path), tablespaces: [:])
        }

        try check(try restored { _ in })

        let flipped = try restored { folder in
            var bytes = [UInt8](repeating: 9, count: 8192)
            bytes[4000] ^= 1
            try Data(bytes).write(to: URL(fileURLWithPath: folder.path + "/global/pg_control"))
        }
        #expect { try check(flipped) } throws: { error in
            guard case RestoreError.manifestMismatch(let file, let reason) = error else { return false }
            return file == "global/pg_control" && reason.hasPrefix("SHA256 checksum ")
        }
        let crcFlipped = try restored { folder in try Data("16\n".utf8).write(to: URL(fileURLWithPath: folder.path + "/PG_VERSION")) }
        #expect { try check(crcFlipped) } throws: { error in
            guard case RestoreError.manifestMismatch(let file, let reason) = error else { return false }
            return file == "PG_VERSION" && reason.hasPrefix("CRC32C checksum ")
        }
        let shorter = try restored { folder in try Data([UInt8](repeating: 3, count: 4096)).write(to: URL(fileURLWithPath: folder.path + "/base/5/1259")) }
        #expect(throws: RestoreError.manifestMismatch(file: "base/5/1259", reason: "size 4096, manifest says 8192")) { try check(shorter) }
        #expect(RestoreError.manifestMismatch(file: "base/5/1259", reason: "size 4096, manifest says 8192").description
            .hasPrefix("restored file base/5/1259 does not match backup_manifest: size 4096, manifest says 8192"))

        let missing = try restored { folder in try FileManager.default.removeItem(atPath: folder.path + "/base/5/1259") }
        #expect(throws: RestoreError.manifestMismatch(file: "base/5/1259", reason: "it is missing, manifest says size 8192")) { try check(missing) }

        let extra = try restored { folder in try Data("y".utf8).write(to: URL(fileURLWithPath: folder.path + "/base/5/16384")) }
        #expect(throws: RestoreError.manifestMismatch(file: "base/5/16384", reason: "backup_manifest does not list it")) { try check(extra) }
    }

    /// Restore's own check, made as the extractor writes: the same mismatches, nothing read back.
    @Test func extractorChecksEachFileAsItIsWritten() throws {
        let files: [(String, [UInt8], BackupManifest.ChecksumAlgorithm)] = [
            ("PG_VERSION", Array("15\n".utf8), .crc32c), ("base/5/1259", [UInt8](repeating: 3, count: 8192), .sha256), ("empty", [], .crc32c),
        ]
        let manifest = try BackupManifest(try Self.manifest(files))
        func extract(_ entries: [(String, [UInt8])]) throws {
            let folder = try RestoreTestFolder()
            var tar = TarFixture()
            for (path, contents) in entries { tar.file(path, contents) }
            tar.end()
            let check = ManifestCheck(manifest: manifest)
            let extractor = TarExtractor(archive: "base.tar", root: try OpenDirectory.open(folder.path), owner: try #require(TarExtractorTests.owner),
                                         manifestCheck: check)
            try extractor.extract(tar.bytes, step: 1000)
            try check.finishAll()
        }
        let whole = files.map { ($0.0, $0.1) }
        try extract(whole)
        try extract(whole + [("pg_wal/000000010000000000000002", [1]), ("standby.signal", [])])
        var flipped = whole
        flipped[1].1[8191] ^= 0x80
        #expect { try extract(flipped) } throws: { error in
            guard case RestoreError.manifestMismatch(let file, _) = error else { return false }
            return file == "base/5/1259"
        }
        #expect(throws: RestoreError.manifestMismatch(file: "base/5/1259", reason: "it is missing, manifest says size 8192")) {
            try extract(whole.filter { $0.0 != "base/5/1259" })
        }
        #expect(throws: RestoreError.manifestMismatch(file: "base/5/2", reason: "backup_manifest does not list it")) { try extract(whole + [("base/5/2", [1])]) }
        #expect(throws: RestoreError.manifestMismatch(file: "empty", reason: "size 1, manifest says 0")) {
            try extract(whole.map { $0.0 == "empty" ? ($0.0, [7]) : $0 })
        }
    }
}

extension Array where Element == UInt8 {
    /// The index of the last `byte` before `end`.
    func lastIndex(of byte: UInt8, before end: Int) -> Int { self[..<end].lastIndex(of: byte) ?? 0 }
}
