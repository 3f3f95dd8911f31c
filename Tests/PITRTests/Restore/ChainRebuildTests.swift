import Foundation
import Testing
@testable import PITRBackup
@testable import PITRRestore
@testable import PITRSupport
@testable import PITRWAL

/// The rebuild of an incremental backup from synthetic archives: which block comes from which backup, lengths, files
/// that vanish, several INCREMENTAL entries for one file, and a chain that lacks a file.
@Suite struct ChainRebuildTests {
    static let blockSize = IncrementalFileHeader.blockSize

    /// A block filled with `byte`.
    static func block(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: blockSize) }

    static func incremental(_ blocks: [(UInt32, UInt8)], truncation: UInt32) -> [UInt8] {
        IncrementalFileHeader(blocks: blocks.map(\.0), truncationBlockLength: truncation).bytes + blocks.flatMap { block($0.1) }
    }

    static func backup(_ name: String, start: UInt64, parent: String?, detection: ChangeDetection = .blockCompare,
                       archives: [String] = ["base.tar"]) -> BackupDescriptor {
        BackupDescriptor(
            name: name, label: "test", startLSN: LSN(start << 24), stopLSN: LSN(start << 24 + 0x100), startTime: UTCTime(secondsSinceEpoch: Int64(start)),
            stopTime: UTCTime(secondsSinceEpoch: Int64(start) + 1), timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: 7,
            serverVersion: 170004, segmentSize: 16 << 20, tablespaces: [], compression: .lz4, cipher: "none", keyID: "",
            objects: archives.map { .init(name: $0 + ".0000", archive: $0, rawBytes: 0, storedBytes: 0) },
            type: parent == nil ? .full : .incremental, parent: parent, detection: parent == nil ? nil : detection)
    }

    /// Rebuilds `archives` (base.tar by backup name) into `folder` as restore does.
    static func rebuild(_ chain: BackupChain, _ archives: [String: [UInt8]], into folder: RestoreTestFolder, step: Int = 1000) throws -> ChainRebuild {
        try rebuild(chain, archives.mapValues { ["base.tar": $0] }, into: ["base.tar": folder], step: step)
    }

    /// Rebuilds `archives` (by backup name, then archive name) into `folders` (by archive name) as restore does.
    static func rebuild(_ chain: BackupChain, _ archives: [String: [String: [UInt8]]], into folders: [String: RestoreTestFolder],
                        step: Int = 1000) throws -> ChainRebuild {
        let rebuild = ChainRebuild(chain: chain)
        for (archive, folder) in folders.sorted(by: { $0.key < $1.key }) {
            let extractor = TarExtractor(archive: archive, root: try OpenDirectory.open(folder.path), owner: try #require(TarExtractorTests.owner))
            let prefix = archive == "base.tar" ? "" : "pg_tblspc/\(archive.dropLast(4))/"
            extractor.takeover = rebuild.takeover(archive: archive, tree: extractor.tree, manifestPrefix: prefix)
            try extractor.extract(archives[chain.newest.name]?[archive] ?? [], step: step)
        }
        try rebuild.fillFromOlderBackups { backup, archive, sink in
            let bytes = archives[backup.name]?[archive] ?? []
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + step, bytes.count)
                try bytes[offset..<end].withUnsafeBytes { try sink.write($0) }
                offset = end
            }
        }
        return rebuild
    }

    @Test(arguments: [1000, 8192, 1 << 20])
    func takesEachBlockFromTheNewestBackupHoldingIt(step: Int) throws {
        var full = TarFixture()
        full.file("PG_VERSION", Array("17\n".utf8))
        full.directory("base/5")
        full.file("base/5/100", Self.block(0xA0) + Self.block(0xA1) + Self.block(0xA2))
        full.file("base/5/200", Self.block(0xA0) + Self.block(0xA1))
        full.file("base/5/300", Self.block(0xA0) + Self.block(0xA1) + Self.block(0xA2) + Self.block(0xA3))
        full.end()
        var first = TarFixture()
        first.file("PG_VERSION", Array("17\n".utf8))
        first.directory("base/5")
        first.file("base/5/INCREMENTAL.100", Self.incremental([(1, 0xB1)], truncation: 3))
        first.file("base/5/INCREMENTAL.200", Self.incremental([], truncation: 2))
        first.file("base/5/INCREMENTAL.300", Self.incremental([(3, 0xB3), (0, 0xB0)], truncation: 4))
        first.end()
        var newest = TarFixture()
        newest.file("PG_VERSION", Array("17\n".utf8))
        newest.directory("base/5")
        // One file's changes in two entries (the block-compare way's bounded entries): block 3 lies in no backup,
        // block 4 past the truncation length and in no entry, both zeros.
        newest.file("base/5/INCREMENTAL.100", Self.incremental([(0, 0xC0)], truncation: 4))
        newest.file("base/5/INCREMENTAL.300", Self.incremental([(1, 0xC1)], truncation: 2))
        newest.file("base/5/INCREMENTAL.100", Self.incremental([(5, 0xC5)], truncation: 4))
        // Not an incremental file where one can be: restored as it is.
        newest.file("INCREMENTAL.conf", Array("x = 1\n".utf8))
        newest.end()

        let chain = try BackupChain(of: Self.backup("c", start: 3, parent: "b"),
                                    among: [Self.backup("a", start: 1, parent: nil), Self.backup("b", start: 2, parent: "a")])
        let folder = try RestoreTestFolder()
        let rebuild = try Self.rebuild(chain, ["a": full.bytes, "b": first.bytes, "c": newest.bytes], into: folder, step: step)

        #expect(folder.listing() == ["INCREMENTAL.conf", "PG_VERSION", "base", "base/5", "base/5/100", "base/5/300"])
        let hundred = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder.path + "/base/5/100")))
        #expect(hundred == Self.block(0xC0) + Self.block(0xB1) + Self.block(0xA2) + Self.block(0) + Self.block(0) + Self.block(0xC5))
        // Truncated to 2 blocks by the newest: blocks 2 and 3 of older backups do not come back.
        let threeHundred = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder.path + "/base/5/300")))
        #expect(threeHundred == Self.block(0xB0) + Self.block(0xC1))
        #expect(try folder.contents("INCREMENTAL.conf") == "x = 1\n")
        #expect(rebuild.rebuiltFiles == 2 && rebuild.blocksFromOlderBackups == 3 && rebuild.rebuiltBytes == 8 * Self.blockSize)
        #expect(try folder.mode("base/5/100") == 0o600)
    }

    /// A tablespace's archive is rebuilt from the older backups' archives of the same tablespace, where every folder
    /// may hold incremental files.
    @Test func rebuildsTablespacesFromTheirOwnArchives() throws {
        var fullBase = TarFixture(), fullSpace = TarFixture()
        fullBase.file("base/5/100", Self.block(0xA0))
        fullBase.end()
        fullSpace.file("PG_17_202406281/5/200", Self.block(0xA0) + Self.block(0xA1))
        fullSpace.end()
        var newestBase = TarFixture(), newestSpace = TarFixture()
        newestBase.file("base/5/INCREMENTAL.100", Self.incremental([], truncation: 1))
        newestBase.end()
        newestSpace.file("PG_17_202406281/5/INCREMENTAL.200", Self.incremental([(1, 0xC1)], truncation: 2))
        newestSpace.end()
        let archives = ["base.tar", "16385.tar"]
        let chain = try BackupChain(of: Self.backup("b", start: 2, parent: "a", archives: archives),
                                    among: [Self.backup("a", start: 1, parent: nil, archives: archives)])
        let data = try RestoreTestFolder(), space = try RestoreTestFolder()
        let rebuild = try Self.rebuild(chain, ["a": ["base.tar": fullBase.bytes, "16385.tar": fullSpace.bytes],
                                               "b": ["base.tar": newestBase.bytes, "16385.tar": newestSpace.bytes]],
                                       into: ["base.tar": data, "16385.tar": space])
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: space.path + "/PG_17_202406281/5/200"))) == Self.block(0xA0) + Self.block(0xC1))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: data.path + "/base/5/100"))) == Self.block(0xA0))
        #expect(rebuild.blocksFromOlderBackups == 2)
    }

    @Test func stopsAtTheNewestBackupWhenItNeedsNothingOlder() throws {
        var newest = TarFixture()
        newest.file("base/5/INCREMENTAL.100", Self.incremental([(0, 0xC0), (1, 0xC1)], truncation: 2))
        newest.end()
        let chain = try BackupChain(of: Self.backup("b", start: 2, parent: "a"), among: [Self.backup("a", start: 1, parent: nil)])
        let folder = try RestoreTestFolder()
        // The full backup's archive is not a tar stream at all: it must never be read.
        let rebuild = try Self.rebuild(chain, ["a": [1, 2, 3], "b": newest.bytes], into: folder)
        #expect(rebuild.blocksFromOlderBackups == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.path + "/base/5/100")).count == 2 * Self.blockSize)
    }

    @Test func refusesAChainThatLacksAFileWhoseBlocksAreNeeded() throws {
        var full = TarFixture()
        full.file("base/5/100", Self.block(0xA0))
        full.end()
        var newest = TarFixture()
        newest.file("base/5/INCREMENTAL.100", Self.incremental([], truncation: 1))
        newest.file("base/5/INCREMENTAL.400", Self.incremental([], truncation: 1))
        newest.end()
        let chain = try BackupChain(of: Self.backup("b", start: 2, parent: "a"), among: [Self.backup("a", start: 1, parent: nil)])
        let folder = try RestoreTestFolder()
        let error = #expect(throws: RestoreError.self) { try Self.rebuild(chain, ["a": full.bytes, "b": newest.bytes], into: folder) }
        #expect(error == .brokenChain(backup: "b", reason: "backup a holds neither base/5/400 nor its INCREMENTAL file, whose blocks a newer backup lacks"))
    }

    @Test func namesADamagedIncrementalFile() throws {
        var newest = TarFixture()
        newest.file("base/5/INCREMENTAL.100", [UInt8](repeating: 1, count: 12))
        newest.end()
        let chain = try BackupChain(of: Self.backup("b", start: 2, parent: "a"), among: [Self.backup("a", start: 1, parent: nil)])
        let error = #expect(throws: RestoreError.self) { try Self.rebuild(chain, ["b": newest.bytes], into: try RestoreTestFolder()) }
        #expect(error?.description.hasPrefix("backup archive base.tar is not a valid tar stream: base/5/INCREMENTAL.100: the incremental file is damaged: its magic number is 1010101") == true,
                "\(error?.description ?? "")")
    }

    @Test func refusesIncrementalEntriesOfOneFileThatDisagree() throws {
        var newest = TarFixture()
        newest.file("base/5/INCREMENTAL.100", Self.incremental([(0, 1)], truncation: 2))
        newest.file("base/5/INCREMENTAL.100", Self.incremental([(1, 1)], truncation: 3))
        newest.end()
        let chain = try BackupChain(of: Self.backup("b", start: 2, parent: "a"), among: [Self.backup("a", start: 1, parent: nil)])
        #expect(throws: RestoreError.self) { try Self.rebuild(chain, ["b": newest.bytes], into: try RestoreTestFolder()) }
    }

    /// The server-side way: backup_label loses its INCREMENTAL lines, which must name the parent's start.
    @Test func rewritesTheLabelOfAServerSideIncremental() throws {
        let label = "START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\nINCREMENTAL FROM LSN: 0/1000000\nINCREMENTAL FROM TLI: 1\nLABEL: x\n"
        var newest = TarFixture()
        newest.file("backup_label", Array(label.utf8))
        newest.end()
        let full = Self.backup("a", start: 1, parent: nil)
        let chain = try BackupChain(of: Self.backup("b", start: 3, parent: "a", detection: .summaries), among: [full])
        let folder = try RestoreTestFolder()
        _ = try Self.rebuild(chain, ["b": newest.bytes], into: folder)
        #expect(try folder.contents("backup_label") == "START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\nLABEL: x\n")

        let wrong = label.replacingOccurrences(of: "0/1000000", with: "0/2000000")
        var other = TarFixture()
        other.file("backup_label", Array(wrong.utf8))
        other.end()
        #expect(throws: RestoreError.self) { try Self.rebuild(chain, ["b": other.bytes], into: try RestoreTestFolder()) }
    }
}
