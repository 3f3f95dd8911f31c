@testable import PITRBackup
import Foundation
import Testing
@testable import PITRRestore
@testable import PITRSupport

@Suite struct TarExtractorTests {
    static let owner = try? FileOwner(name: "postgres")

    func extractor(_ folder: RestoreTestFolder, links: [String: String] = [:]) throws -> TarExtractor {
        TarExtractor(archive: "base.tar", root: try OpenDirectory.open(folder.path), owner: try #require(Self.owner), linkTargets: links)
    }

    @Test(arguments: [1, 7, 512, 1000, 1 << 20])
    func extractsFilesDirectoriesAndSymlinksWhateverTheBlockSize(step: Int) throws {
        let folder = try RestoreTestFolder()
        var tar = TarFixture()
        tar.file("PG_VERSION", Array("15\n".utf8))
        tar.directory("base")
        tar.directory("base/1", mode: 0o700)
        tar.file("base/1/1259", [UInt8](repeating: 7, count: 8192 + 3))
        tar.file("empty", [])
        tar.directory("pg_tblspc")
        tar.symlink("pg_tblspc/16385", to: "/srv/old-location")
        tar.end()
        let extractor = try extractor(folder, links: ["pg_tblspc/16385": "/srv/new-location"])
        try extractor.extract(tar.bytes, step: step)

        #expect(folder.listing() == ["PG_VERSION", "base", "base/1", "base/1/1259", "empty", "pg_tblspc", "pg_tblspc/16385"])
        #expect(try folder.contents("PG_VERSION") == "15\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path + "/base/1/1259")) == Data(repeating: 7, count: 8195))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder.path + "/pg_tblspc/16385") == "/srv/new-location")
        #expect(try folder.mode("base/1") == 0o700 && folder.mode("PG_VERSION") == 0o600)
        #expect(extractor.fileCount == 3 && extractor.contentBytes == 8198)
        #expect(!extractor.sawGroupAccess)
        try extractor.sync()
        if getuid() == 0 {
            #expect(try folder.owner("base/1/1259") == "postgres")
            #expect(try folder.owner("base") == "postgres")
        }
    }

    @Test func keepsGroupAccessModesAndReportsThem() throws {
        let folder = try RestoreTestFolder()
        var tar = TarFixture()
        tar.directory("global", mode: 0o750)
        tar.file("global/pg_control", [1, 2, 3], mode: 0o640)
        tar.end()
        let extractor = try extractor(folder)
        try extractor.extract(tar.bytes, step: 4096)
        #expect(try folder.mode("global") == 0o750 && folder.mode("global/pg_control") == 0o640)
        #expect(extractor.sawGroupAccess)
    }

    /// Modes are PostgreSQL's whatever the archive says: 0777 entries restore 0600/0700, or 0640/0750
    /// when the archive's first entry (backup_label, sent with the server's file mode) shows group access.
    @Test func masksModesToTheClustersOwn() throws {
        let folder = try RestoreTestFolder()
        var tar = TarFixture()
        tar.file("backup_label", Array("x".utf8), mode: 0o600)
        tar.directory("wide", mode: 0o777)
        tar.file("wide/open", [1], mode: 0o777)
        tar.file("setuid", [1], mode: 0o4755)
        tar.end()
        let plain = try extractor(folder)
        try plain.extract(tar.bytes, step: 512)
        #expect(try folder.mode("wide") == 0o700 && folder.mode("wide/open") == 0o600 && folder.mode("setuid") == 0o600)
        #expect(try folder.rawMode("setuid") & 0o7000 == 0)
        #expect(!plain.sawGroupAccess)

        let group = try RestoreTestFolder()
        var grouped = TarFixture()
        grouped.file("backup_label", Array("x".utf8), mode: 0o640)
        grouped.directory("wide", mode: 0o777)
        grouped.file("wide/open", [1], mode: 0o777)
        grouped.directory("narrow/deep", mode: 0o700)
        grouped.end()
        let groupExtractor = try extractor(group)
        try groupExtractor.extract(grouped.bytes, step: 512)
        #expect(try group.mode("wide") == 0o750 && group.mode("wide/open") == 0o640)
        // Made as a missing parent, and given as 0700: the cluster's folder mode all the same.
        #expect(try group.mode("narrow") == 0o750 && group.mode("narrow/deep") == 0o750)
        #expect(groupExtractor.sawGroupAccess)
    }

    @Test func readsBase256Sizes() throws {
        #expect(TarHeader.number([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0][...]) == 2 << 16)
        #expect(TarHeader.number(Array("00000001750 ".utf8)[...]) == 1000)
        let folder = try RestoreTestFolder()
        var tar = TarFixture()
        tar.file("big", [UInt8](repeating: 1, count: 1000), base256Size: true)
        tar.end()
        try extractor(folder).extract(tar.bytes, step: 300)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path + "/big")).count == 1000)
    }

    @Test(arguments: [
        ("../escape", "a path with '..'"),
        ("base/../../escape", "a path with '..'"),
        ("/etc/passwd", "an absolute path"),
    ])
    func refusesPathsLeavingTheRoot(name: String, reason: String) throws {
        let folder = try RestoreTestFolder()
        let target = folder.path + "/data"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        var tar = TarFixture()
        tar.file(name, Array("x".utf8))
        tar.end()
        let extractor = TarExtractor(archive: "base.tar", root: try OpenDirectory.open(target), owner: try #require(Self.owner))
        #expect(throws: RestoreError.unsafeEntry(archive: "base.tar", entry: name, reason: reason)) {
            try extractor.extract(tar.bytes, step: 512)
        }
        #expect(folder.listing() == ["data"])
    }

    @Test func refusesSymlinksOtherThanTablespacesAndPathsThroughThem() throws {
        let folder = try RestoreTestFolder()
        var stray = TarFixture()
        stray.symlink("pg_wal", to: "/etc")
        stray.end()
        #expect(throws: RestoreError.unsafeEntry(archive: "base.tar", entry: "pg_wal/", reason: "a symlink that is not a tablespace of the backup")) {
            try extractor(folder).extract(stray.bytes, step: 512)
        }

        let other = try RestoreTestFolder()
        var through = TarFixture()
        through.symlink("pg_tblspc/16385", to: "/etc")
        through.file("pg_tblspc/16385/passwd", Array("x".utf8))
        through.end()
        #expect(throws: RestoreError.unsafeEntry(archive: "base.tar", entry: "pg_tblspc/16385/passwd", reason: "a path under a symlink")) {
            try extractor(other, links: ["pg_tblspc/16385": other.path + "/elsewhere"]).extract(through.bytes, step: 512)
        }
    }

    @Test func refusesTruncatedCorruptAndForeignStreams() throws {
        let folders = try (0..<4).map { _ in try RestoreTestFolder() }
        var tar = TarFixture()
        tar.file("PG_VERSION", Array("15\n".utf8))
        tar.end()
        let truncated = Array(tar.bytes.dropLast(1024))
        #expect(throws: RestoreError.corruptArchive(archive: "base.tar", reason: "it ends before its end-of-archive blocks (a missing or truncated piece)")) {
            try extractor(folders[0]).extract(truncated, step: 512)
        }
        var corrupt = tar.bytes
        corrupt[0] ^= 1
        #expect(throws: RestoreError.corruptArchive(archive: "base.tar", reason: "a header's checksum does not match (a truncated or damaged stream)")) {
            try extractor(folders[1]).extract(corrupt, step: 512)
        }
        var hardlink = TarFixture()
        hardlink.raw(type: "1", name: "link")
        hardlink.end()
        #expect(throws: RestoreError.unsupportedEntry(archive: "base.tar", entry: "link", type: UInt8(ascii: "1"))) {
            try extractor(folders[2]).extract(hardlink.bytes, step: 512)
        }
        var duplicate = TarFixture()
        duplicate.file("a", [1])
        duplicate.file("a", [2])
        duplicate.end()
        #expect(throws: IOError.self) { try extractor(folders[3]).extract(duplicate.bytes, step: 512) }
    }

    /// GNU tar's ustar output reads the same: the extractor is not tied to the fixture's writer.
    @Test func readsGNUTarUstarOutput() throws {
        let source = try RestoreTestFolder()
        try FileManager.default.createDirectory(atPath: source.path + "/tree/sub", withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: source.path + "/tree/sub/file"))
        let archive = source.path + "/tree.tar"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "--format=ustar", "-cf", archive, "-C", source.path + "/tree", "."]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        let folder = try RestoreTestFolder()
        try extractor(folder).extract(Array(try Data(contentsOf: URL(fileURLWithPath: archive))), step: 10240)
        #expect(folder.listing() == ["sub", "sub/file"])
        #expect(try folder.contents("sub/file") == "hello")
    }
}
