import Testing
@testable import PITRBackup
@testable import PITRPipeline
@testable import PITRSupport

/// Collects the entries of a stored archive.
private final class Entries: TarEntryHandler {
    var files: [String: [UInt8]] = [:]
    var order: [String] = []
    private var current = ""
    func beginEntry(_ header: TarHeader) throws {
        current = header.name
        order.append(header.name)
        if header.kind == .file { files[header.name, default: []] += [] }
    }
    func entryData(_ bytes: UnsafeRawBufferPointer) throws { files[current, default: []] += bytes }
    func endEntry() throws {}
}

@Suite struct StoredArchiveTests {
    static let block = IncrementalFileHeader.blockSize

    static func relation(_ blocks: Int, seed: UInt8) -> [UInt8] {
        (0..<blocks).flatMap { index in [UInt8](repeating: seed &+ UInt8(index % 200), count: block) }
    }

    static func tar(_ files: [(String, [UInt8])]) -> [UInt8] {
        TarFormatTests.archive(files.map { (TarHeader(name: $0.0, mode: 0o600, size: $0.1.count, kind: .file, modificationTime: 9), $0.1) })
    }

    /// Runs `tar` through a StoredArchive and returns the archive stored and the checksums gathered.
    static func store(_ tar: [UInt8], mode: StoredArchive.Mode, checksum: BlockChecksum,
                      maximumRead: Int = 5000) throws -> (archive: [UInt8], sums: BlockSumsIndex, stored: StoredArchive) {
        let sums = try BlockSumsWriter(keyID: checksum.keyID)
        let stored = StoredArchive(MemorySource(tar, maximumRead: maximumRead), archive: "base.tar", mode: mode, sums: sums, checksum: checksum)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 3000)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try stored.read(into: $0) }
            if count == 0 { break }
            out += buffer[..<count]
        }
        #expect(try !stored.hasMoreData())
        return (out, try BlockSumsIndex(decoded: try sums.finish(), backup: "b"), stored)
    }

    @Test func aFullArchiveIsStoredUnchangedAndAnIncrementalHoldsOnlyChangedBlocks() throws {
        let checksum = try BlockChecksum(key: MasterKey(bytes: [UInt8](repeating: 7, count: 32)), repositoryID: "r")
        let big = Self.relation(300, seed: 1)
        let full = Self.tar([("backup_label", Array("label".utf8)), ("base/5/16384", big), ("base/5/16390", Self.relation(2, seed: 9)),
                             ("global/1262", Self.relation(1, seed: 3))])
        let first = try Self.store(full, mode: .full, checksum: checksum)
        #expect(first.archive == full)
        #expect(first.sums.fileCount == 3)
        #expect(first.stored.representedBytes == full.count)

        // Blocks 10 and 250 change, the file grows by 2 blocks; 16390 is gone; 16400 is new.
        var changed = big
        changed[10 * Self.block + 5] ^= 0xff
        changed[250 * Self.block] ^= 0x01
        changed += Self.relation(2, seed: 77)
        let next = Self.tar([("backup_label", Array("label 2".utf8)), ("base/5/16384", changed), ("global/1262", Self.relation(1, seed: 3)),
                             ("base/5/16400", Self.relation(3, seed: 5))])
        let second = try Self.store(next, mode: .blockCompare(parent: first.sums, compare: checksum), checksum: checksum)
        #expect(second.archive.count < next.count / 10)
        #expect(second.stored.changedBlocks == 4)
        #expect(second.stored.representedBytes == next.count)
        let entries = Entries()
        let parser = TarParser(archive: "t", handler: entries)
        try second.archive.withUnsafeBytes { try parser.write($0) }
        try parser.finish()
        // 4 changed blocks of 16384 in two INCREMENTAL entries (128 at most each is far off: one entry), none of 1262.
        #expect(entries.order == ["backup_label", "base/5/INCREMENTAL.16384", "global/INCREMENTAL.1262", "base/5/16400"])
        #expect(entries.files["base/5/16400"] == Self.relation(3, seed: 5))
        var header: IncrementalFileHeader?
        var blocks: [UInt32: [UInt8]] = [:]
        let reader = IncrementalFileReader(file: "f", onHeader: { header = $0 }, onBlocks: { first, bytes in
            for (number, block) in IncrementalFileHeader.blocks(first, bytes) { blocks[number] = Array(block) }
        })
        try entries.files["base/5/INCREMENTAL.16384"]!.withUnsafeBytes { try reader.write($0) }
        try reader.finish()
        #expect(header?.truncationBlockLength == 302)
        #expect(header?.blocks == [10, 250, 300, 301])
        for (number, bytes) in blocks { #expect(bytes == Array(changed[Int(number) * Self.block..<(Int(number) + 1) * Self.block])) }
        // The new backup's checksums describe the files as they are now.
        #expect(try second.sums.checksums(of: "base.tar/base/5/16384")?.count == 302 * BlockChecksum.size)
        #expect(try second.sums.checksums(of: "base.tar/base/5/16390") == nil)
    }

    @Test func manyChangedBlocksAreCutIntoBoundedEntries() throws {
        let checksum = try BlockChecksum(key: nil, repositoryID: "r")
        let first = try Self.store(Self.tar([("base/5/1", Self.relation(400, seed: 1))]), mode: .full, checksum: checksum)
        let second = try Self.store(Self.tar([("base/5/1", Self.relation(400, seed: 2))]), mode: .blockCompare(parent: first.sums, compare: checksum), checksum: checksum)
        let entries = Entries()
        let parser = TarParser(archive: "t", handler: entries)
        try second.archive.withUnsafeBytes { try parser.write($0) }
        #expect(entries.order == Array(repeating: "base/5/INCREMENTAL.1", count: 4))
        #expect(second.stored.changedBlocks == 400)
    }

    /// Blocks are checksummed two at a time, gathered across pieces of any size: whatever the pieces, each block gets its
    /// own checksum, in order, in files of odd and even block counts.
    @Test func everyBlockGetsItsOwnChecksumWhateverThePieces() throws {
        let checksum = try BlockChecksum(key: nil, repositoryID: "r")
        let files = [("base/5/1", Self.relation(7, seed: 1)), ("backup_label", Array("l".utf8)), ("base/5/2", Self.relation(1, seed: 3)),
                     ("base/5/3", Self.relation(4, seed: 5)), ("base/5/4", [])]
        for piece in [1, 511, Self.block, 2 * Self.block, 20_000, 1 << 20] {
            let stored = try Self.store(Self.tar(files), mode: .full, checksum: checksum, maximumRead: piece)
            for (name, bytes) in files where RelationFilePath.matches(name) {
                let expected = try stride(from: 0, to: bytes.count, by: Self.block).flatMap { start in
                    try bytes[start..<start + Self.block].withUnsafeBytes { try checksum.checksum($0) }
                }
                #expect(try stored.sums.checksums(of: "base.tar/" + name) == expected, "\(name) in pieces of \(piece) bytes")
            }
        }
    }

    /// After a key change the blocks are compared under the parent's key, and the new checksums are under the new one.
    @Test func aNewKeyComparesUnderTheParentsKeyAndRecordsUnderItsOwn() throws {
        let old = try BlockChecksum(key: MasterKey(bytes: [UInt8](repeating: 1, count: 32)), repositoryID: "r")
        let new = try BlockChecksum(key: MasterKey(bytes: [UInt8](repeating: 2, count: 32)), repositoryID: "r")
        let before = Self.relation(5, seed: 1)
        var after = before
        after[3 * Self.block] ^= 1
        let first = try Self.store(Self.tar([("base/5/1", before)]), mode: .full, checksum: old)
        let second = try Self.store(Self.tar([("base/5/1", after)]), mode: .blockCompare(parent: first.sums, compare: old), checksum: new)
        #expect(second.stored.changedBlocks == 1)
        let expected = try stride(from: 0, to: after.count, by: Self.block).flatMap { start in
            try after[start..<start + Self.block].withUnsafeBytes { try new.checksum($0) }
        }
        #expect(try second.sums.checksums(of: "base.tar/base/5/1") == expected)
    }

    @Test func relationFilesAreRecognizedByNameAndFolder() {
        for path in ["base/5/16384", "base/5/16384.12", "base/5/16384_vm", "base/5/16384_fsm.1", "global/1262", "PG_17_202406281/5/16400"] {
            #expect(RelationFilePath.matches(path), "\(path)")
        }
        for path in ["backup_label", "base/5/pg_filenode.map", "base/5/PG_VERSION", "global/pg_control", "pg_wal/000000010000000000000001",
                     "base/5/16384.", "base/5/16384_xx", "16384", "pg_xact/0000"] {
            #expect(!RelationFilePath.matches(path), "\(path)")
        }
    }
}
