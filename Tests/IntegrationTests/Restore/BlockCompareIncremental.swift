import Foundation
@testable import PITRBackup
@testable import PITRRestore

/// An incremental base.tar made from two full ones as tailtown-pitr's block-compare way stores it: each relation
/// file (a multiple of 8 KiB in a folder where incremental files may be) that the parent holds becomes
/// `INCREMENTAL.<name>` entries with the blocks that differ, at most `entryBlocks` per entry (several entries for one
/// file, docs/format.md), truncation length the child's length; everything else stays whole.
enum BlockCompareIncremental {
    static func make(child: [UInt8], parent: [UInt8], entryBlocks: Int = 3) throws -> [UInt8] {
        let blockSize = IncrementalFileHeader.blockSize
        var parentFiles: [String: [UInt8]] = [:]
        for entry in try entries(parent) where entry.header.kind == .file { parentFiles[entry.header.name] = entry.data }
        var out: [UInt8] = []
        func append(_ header: TarHeader, _ data: [UInt8]) {
            out += header.bytes + data + [UInt8](repeating: 0, count: TarHeader.padding(for: data.count))
        }
        for (header, data) in try entries(child) {
            let components = header.name.split(separator: "/").map(String.init)
            guard header.kind == .file, data.count % blockSize == 0, let name = components.last,
                  RebuildNeeds.isIncrementalFolder(Array(components.dropLast()), inTablespace: false),
                  let old = parentFiles[header.name] else {
                append(header, data)
                continue
            }
            let blocks = data.count / blockSize
            let changed = (0..<blocks).filter { block in
                let range = block * blockSize..<(block + 1) * blockSize
                return range.upperBound > old.count || data[range] != old[range]
            }
            let path = (components.dropLast() + [IncrementalFileHeader.namePrefix + name]).joined(separator: "/")
            let groups = changed.isEmpty ? [[]] : stride(from: 0, to: changed.count, by: entryBlocks).map { Array(changed[$0..<min($0 + entryBlocks, changed.count)]) }
            for group in groups {
                let incremental = IncrementalFileHeader(blocks: group.map { UInt32($0) }, truncationBlockLength: UInt32(blocks))
                let body = incremental.bytes + group.flatMap { data[$0 * blockSize..<($0 + 1) * blockSize] }
                append(TarHeader(name: path, mode: header.mode, size: body.count, kind: .file, modificationTime: header.modificationTime), body)
            }
        }
        return out + [UInt8](repeating: 0, count: 2 * TarHeader.blockSize)
    }

    /// Every entry of a tar stream with its data.
    static func entries(_ tar: [UInt8]) throws -> [(header: TarHeader, data: [UInt8])] {
        let collector = Collector()
        let parser = TarParser(archive: "test", handler: collector)
        try tar.withUnsafeBytes { try parser.write($0) }
        try parser.finish()
        return collector.entries
    }

    private final class Collector: TarEntryHandler {
        var entries: [(header: TarHeader, data: [UInt8])] = []
        func beginEntry(_ header: TarHeader) throws { entries.append((header, [])) }
        func entryData(_ bytes: UnsafeRawBufferPointer) throws { entries[entries.count - 1].data += bytes }
        func endEntry() throws {}
    }
}
