import PITRBackup
import PITRSupport

/// One archive of an older backup of the chain, read as it arrives for the blocks the rebuilt files still need
/// (`RebuildNeeds`): from an INCREMENTAL entry, the needed blocks it holds; from a whole file, every needed block
/// below its length, which ends the search for that file. Every other entry's bytes pass by unwritten. Writes only
/// into files the newest backup's pass created, by descriptor, at their blocks' places.
final class OlderArchivePass: ByteSink, TarEntryHandler {
    let archive: String
    private let needs: RebuildNeeds
    private let checksums: RebuiltChecksums
    private let treeIndex: Int
    private let tree: ExtractionTree
    private let manifestPrefix: String
    /// This backup's index in the chain (the newest is 0).
    private let backupIndex: Int
    private lazy var parser = TarParser(archive: archive, handler: self)
    private var writer: EntryWriter?
    private(set) var blocksWritten = 0

    init(archive: String, needs: RebuildNeeds, checksums: RebuiltChecksums, treeIndex: Int, tree: ExtractionTree, manifestPrefix: String, backupIndex: Int) {
        self.archive = archive
        self.needs = needs
        self.checksums = checksums
        self.treeIndex = treeIndex
        self.tree = tree
        self.manifestPrefix = manifestPrefix
        self.backupIndex = backupIndex
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try RestoreError.mappingTarErrors(archive: archive) { try parser.write(bytes) }
    }

    func finish() throws {
        try RestoreError.mappingTarErrors(archive: archive) { try parser.finish() }
    }

    func beginEntry(_ header: TarHeader) throws {
        guard header.kind == .file else { return }
        // Only names the newest backup wrote are looked up, so a strange name here matches nothing.
        let components = header.name.split(separator: "/").map(String.init).filter { $0 != "." }
        guard let name = components.last else { return }
        let folder = Array(components.dropLast())
        if RebuildNeeds.isIncrementalFolder(folder, inTablespace: !manifestPrefix.isEmpty),
           let relation = IncrementalFileHeader.relationPath(ofIncremental: name) {
            let target = folder + [relation]
            guard let (key, file) = needs.needing(manifestPrefix + target.joined(separator: "/"), seenIn: backupIndex),
                  Int(file.tree) == treeIndex else { return }
            writer = IncrementalFill(key: key, file: try tree.openCreatedFile(target), needs: needs, checksums: checksums,
                                     entry: header.name) { [unowned self] in blocksWritten += $0 }
        } else {
            guard let (key, file) = needs.needing(manifestPrefix + components.joined(separator: "/"), seenIn: backupIndex),
                  Int(file.tree) == treeIndex else { return }
            let needed = file.missing.below(UInt32(min(header.size / IncrementalFileHeader.blockSize, Int(UInt32.max))))
            blocksWritten += needed.count
            needs.ended(key)
            writer = WholeFileFill(key: key, file: try tree.openCreatedFile(components), needed: needed.ranges, checksums: checksums)
        }
    }

    func entryData(_ bytes: UnsafeRawBufferPointer) throws { try writer?.write(bytes) }

    func endEntry() throws {
        try writer?.finish()
        writer = nil
    }
}

/// The needed blocks of an older backup's INCREMENTAL entry, each written in place and taken off the needs; a stretch
/// of consecutive needed blocks with one write.
private final class IncrementalFill: EntryWriter {
    private var reader: IncrementalFileReader?

    /// `onBlocks` gets how many blocks each write wrote.
    init(key: RebuildNeeds.Key, file: SystemFile, needs: RebuildNeeds, checksums: RebuiltChecksums, entry: String, onBlocks: @escaping (Int) -> Void) {
        let size = IncrementalFileHeader.blockSize
        reader = IncrementalFileReader(file: entry, onHeader: { _ in }, onBlocks: { first, bytes in
            let count = bytes.count / size
            var stretch: Int?  // the first needed block of the stretch being gathered, by index in the run
            for index in 0...count {
                if index < count, needs.take(key, first &+ UInt32(index)) {
                    if stretch == nil { stretch = index }
                    continue
                }
                guard let start = stretch else { continue }
                let part = UnsafeRawBufferPointer(rebasing: bytes[(start * size)..<(index * size)])
                let offset = Int(first &+ UInt32(start)) * size
                try file.write(part, at: offset)
                checksums.add(key, part, at: offset)
                onBlocks(index - start)
                stretch = nil
            }
        })
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws { try reader?.write(bytes) }

    func finish() throws {
        try reader?.finish()
        reader = nil
    }
}

/// The needed blocks of an older backup's whole file, written in place as the file's bytes pass by.
private final class WholeFileFill: EntryWriter {
    private let key: RebuildNeeds.Key
    private let file: SystemFile
    private let checksums: RebuiltChecksums
    /// Sorted block ranges; those before `next` are written.
    private let needed: [Range<UInt32>]
    private var next = 0
    private var offset = 0

    init(key: RebuildNeeds.Key, file: SystemFile, needed: [Range<UInt32>], checksums: RebuiltChecksums) {
        self.key = key
        self.file = file
        self.needed = needed
        self.checksums = checksums
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        let end = offset + bytes.count
        let size = IncrementalFileHeader.blockSize
        while next < needed.count {
            let from = max(Int(needed[next].lowerBound) * size, offset), to = min(Int(needed[next].upperBound) * size, end)
            if from >= end { break }
            if from < to {
                let part = UnsafeRawBufferPointer(rebasing: bytes[(from - offset)..<(to - offset)])
                try file.write(part, at: from)
                checksums.add(key, part, at: from)
            }
            if Int(needed[next].upperBound) * size > end { break }
            next += 1
        }
        offset = end
    }

    func finish() throws {}
}
