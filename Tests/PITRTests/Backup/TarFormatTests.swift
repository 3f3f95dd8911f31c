import Testing
@testable import PITRBackup

/// Collects what a `TarParser` hands on.
private final class Recorder: TarEntryHandler {
    var entries: [(TarHeader, [UInt8])] = []
    var open = false
    func beginEntry(_ header: TarHeader) throws { entries.append((header, [])); open = true }
    func entryData(_ bytes: UnsafeRawBufferPointer) throws { entries[entries.count - 1].1 += bytes }
    func endEntry() throws { open = false }
}

@Suite struct TarFormatTests {
    static func archive(_ entries: [(TarHeader, [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (header, data) in entries {
            bytes += header.bytes + data + [UInt8](repeating: 0, count: TarHeader.padding(for: data.count))
        }
        return bytes + [UInt8](repeating: 0, count: 1024)
    }

    @Test func headersRoundTripThroughTheParserInPiecesOfAnySize() throws {
        let long = String(repeating: "d", count: 90) + "/" + String(repeating: "f", count: 60)
        let entries: [(TarHeader, [UInt8])] = [
            (TarHeader(name: "base/", mode: 0o700, size: 0, kind: .directory, modificationTime: 1_700_000_000), []),
            (TarHeader(name: "base/1/16384", mode: 0o600, size: 700, kind: .file, modificationTime: 1_700_000_001), (0..<700).map { UInt8($0 % 251) }),
            (TarHeader(name: long, mode: 0o600, size: 3, kind: .file, modificationTime: 5), [1, 2, 3]),
            (TarHeader(name: "pg_tblspc/16385", mode: 0o777, size: 0, kind: .symlink(target: "/srv/ts"), modificationTime: 7), []),
        ]
        let bytes = Self.archive(entries)
        for piece in [1, 7, 512, 100_000] {
            let recorder = Recorder()
            let parser = TarParser(archive: "t", handler: recorder)
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + piece)
                try bytes[offset..<end].withUnsafeBytes { try parser.write($0) }
                offset = end
            }
            try parser.finish()
            #expect(recorder.entries.map(\.0) == entries.map(\.0))
            #expect(recorder.entries.map(\.1) == entries.map(\.1))
            #expect(!recorder.open)
        }
    }

    @Test func aTruncatedArchiveIsRefused() throws {
        let bytes = Self.archive([(TarHeader(name: "a", mode: 0o600, size: 1, kind: .file, modificationTime: 0), [9])])
        let parser = TarParser(archive: "t", handler: Recorder())
        try bytes.dropLast(600).withUnsafeBytes { try parser.write($0) }
        #expect(throws: TarFormatError.self) { try parser.finish() }
    }

    @Test func incrementalFilesRoundTrip() throws {
        for blocks in [[], [3], [0, 1, 2, 500], Array(0..<3000).map { UInt32($0 * 2) }, [7, 8, 9, 10, 2, 3, 11, 12]] as [[UInt32]] {
            let header = IncrementalFileHeader(blocks: blocks, truncationBlockLength: 10)
            var file = header.bytes
            #expect(file.count == header.headerLength)
            #expect(blocks.isEmpty || file.count % IncrementalFileHeader.blockSize == 0)
            for number in blocks { file += [UInt8](repeating: UInt8(number % 256), count: IncrementalFileHeader.blockSize) }
            #expect(file.count == header.fileLength)
            // Pieces smaller than a block (each block gathered), larger (whole blocks handed on where they lie), and all at once.
            for piece in [3001, 2 * IncrementalFileHeader.blockSize + 5, file.count + 1] {
                var seen: IncrementalFileHeader?
                var read: [(UInt32, Bool)] = []
                let reader = IncrementalFileReader(file: "f", onHeader: { seen = $0 }, onBlocks: { first, bytes in
                    for (number, block) in IncrementalFileHeader.blocks(first, bytes) {
                        read.append((number, block.count == IncrementalFileHeader.blockSize && block.allSatisfy { $0 == UInt8(number % 256) }))
                    }
                })
                var offset = 0
                while offset < file.count {
                    let end = min(file.count, offset + piece)
                    try file[offset..<end].withUnsafeBytes { try reader.write($0) }
                    offset = end
                }
                try reader.finish()
                #expect(seen == header)
                #expect(read.map(\.0) == blocks, "pieces of \(piece) bytes")
                #expect(read.allSatisfy { $0.1 }, "pieces of \(piece) bytes")
            }
        }
        #expect(IncrementalFileHeader(blocks: [7, 2], truncationBlockLength: 3).reconstructedBlockLength == 8)
        #expect(IncrementalFileHeader(blocks: [], truncationBlockLength: 3).reconstructedBlockLength == 3)
        #expect(IncrementalFileHeader.incrementalPath(of: "base/5/16384.1") == "base/5/INCREMENTAL.16384.1")
        #expect(IncrementalFileHeader.relationPath(ofIncremental: "base/5/INCREMENTAL.16384_vm") == "base/5/16384_vm")
        #expect(IncrementalFileHeader.relationPath(ofIncremental: "base/5/16384") == nil)
    }

    @Test func aDamagedIncrementalFileIsRefused() throws {
        var bytes = IncrementalFileHeader(blocks: [1], truncationBlockLength: 2).bytes
        bytes[0] ^= 1
        let reader = IncrementalFileReader(file: "f", onHeader: { _ in }, onBlocks: { _, _ in })
        #expect(throws: TarFormatError.self) { try bytes.withUnsafeBytes { try reader.write($0) } }
        let short = IncrementalFileReader(file: "f", onHeader: { _ in }, onBlocks: { _, _ in })
        try IncrementalFileHeader(blocks: [1], truncationBlockLength: 2).bytes.withUnsafeBytes { try short.write($0) }
        #expect(throws: TarFormatError.self) { try short.finish() }
    }
}
