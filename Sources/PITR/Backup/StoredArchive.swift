import PITRPipeline
import PITRSupport

/// One tar archive of the server's BASE_BACKUP stream turned into the archive the repository stores, as it arrives
/// (docs/format.md, "Incremental backups"), while every relation file's block checksums go to the backup's
/// `blocksums`:
/// - `.full`: the archive unchanged;
/// - `.blockCompare`: each relation file the parent holds becomes `INCREMENTAL.<name>` entries holding only the blocks
///   whose checksum differs from the parent's (or that the parent lacks), cut into entries of at most 128 blocks so
///   that nothing larger than 1 MiB is held; other files unchanged;
/// - `.summaries`: the server's incremental archive unchanged; the checksums of an `INCREMENTAL.<name>` file are the
///   parent's, with the blocks it holds checksummed anew.
final class StoredArchive: ByteSource, TarEntryHandler {
    enum Mode {
        case full
        /// `compare` is keyed as the parent's checksums are.
        case blockCompare(parent: BlockSumsIndex, compare: BlockChecksum)
        case summaries(parent: BlockSumsIndex?)
    }

    /// Changed blocks held before they are written out as one `INCREMENTAL.<name>` entry.
    static let entryBlocks = 128
    static let blockSize = IncrementalFileHeader.blockSize

    /// The server's stream, received on a thread of its own so that receiving overlaps with checksumming.
    private let upstream: ReadAheadSource
    private let archive: String
    private let mode: Mode
    private let sums: BlockSumsWriter?
    private let checksum: BlockChecksum
    private lazy var parser = TarParser(archive: archive, handler: self)
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var upstreamEnded = false

    /// What the current entry is, and what is kept of it.
    private enum Entry {
        case passThrough(padding: Int)
        /// A relation file stored whole; its blocks are checksummed.
        case whole(padding: Int)
        /// A relation file compared with the parent's checksums; changed blocks wait in `pending`.
        case comparing(header: TarHeader, parent: [UInt8], index: Int, emitted: Bool)
        /// The server's incremental file: stored as sent, its blocks checksummed into `fresh`.
        case serverIncremental(relation: String, reader: IncrementalFileReader, padding: Int)
    }
    private var entry: Entry = .passThrough(padding: 0)
    /// The blocks of a file stored whole, checksummed under this backup's key; of a file compared, under the parent's.
    private let wholeBlocks: ChecksummedBlocks
    private let comparedBlocks: ChecksummedBlocks?
    private var pending: [(number: UInt32, bytes: [UInt8])] = []
    private var fresh: [UInt32: [UInt8]] = [:]
    private var serverHeader: IncrementalFileHeader?
    /// A block's checksum under this backup's key, when the parent's is another.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockChecksum.size, alignment: 8)

    /// Bytes of the archive as a full backup holds it (about, for an archive of the server's incremental files).
    private(set) var representedBytes = 0
    /// Relation files stored as `INCREMENTAL.<name>` and blocks stored in them.
    private(set) var incrementalFiles = 0
    private(set) var changedBlocks = 0

    init(_ upstream: ByteSource, archive: String, mode: Mode, sums: BlockSumsWriter?, checksum: BlockChecksum) {
        self.upstream = ReadAheadSource(upstream)
        self.archive = archive
        self.mode = mode
        self.sums = sums
        self.checksum = checksum
        wholeBlocks = ChecksummedBlocks(checksum)
        if case .blockCompare(_, let keyedAsParent) = mode {
            comparedBlocks = keyedAsParent === checksum ? wholeBlocks : ChecksummedBlocks(keyedAsParent)
        } else {
            comparedBlocks = nil
        }
        output.reserveCapacity(1 << 17)
    }

    deinit { scratch.deallocate() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard try hasMoreData() else { return 0 }
        let count = min(buffer.count, output.count - outputOffset)
        output.withUnsafeBytes { bytes in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[outputOffset..<outputOffset + count]))
        }
        outputOffset += count
        if outputOffset == output.count {
            output.removeAll(keepingCapacity: true)
            outputOffset = 0
        }
        return count
    }

    /// True while bytes remain: reads the server's stream until some are ready or it ends.
    func hasMoreData() throws -> Bool {
        while outputOffset == output.count && !upstreamEnded {
            if try !upstream.next({ try parser.write($0) }) {
                upstreamEnded = true
                try parser.finish()
                // The end-of-archive blocks, as the server wrote them.
                output += [UInt8](repeating: 0, count: 2 * TarHeader.blockSize)
                representedBytes += 2 * TarHeader.blockSize
            }
        }
        return outputOffset < output.count
    }

    /// Stops receiving the server's stream (joins the thread that reads it): on every path, before the stream or its
    /// connection is used again. Nothing to do once the archive was read to its end.
    func stopReading() {
        upstream.stop()
    }

    // MARK: entries

    func beginEntry(_ header: TarHeader) throws {
        let key = archive + "/" + header.name
        representedBytes += TarHeader.blockSize + header.size + TarHeader.padding(for: header.size)
        guard header.kind == .file else {
            emit(header)
            entry = .passThrough(padding: 0)
            return
        }
        if case .summaries = mode, let relation = IncrementalFileHeader.relationPath(ofIncremental: header.name) {
            emit(header)
            fresh = [:]
            serverHeader = nil
            let reader = IncrementalFileReader(file: "\(header.name) in \(archive)", onHeader: { [unowned self] made in
                serverHeader = made
                // The rebuilt file replaces the incremental one in what the backup represents.
                representedBytes += Int(made.reconstructedBlockLength) * Self.blockSize - header.size
            }, onBlocks: { [unowned self] first, bytes in
                for (number, block) in IncrementalFileHeader.blocks(first, bytes) { fresh[number] = try checksum.checksum(block) }
            })
            entry = .serverIncremental(relation: archive + "/" + relation, reader: reader, padding: TarHeader.padding(for: header.size))
            incrementalFiles += 1
            return
        }
        guard RelationFilePath.matches(header.name), header.size % Self.blockSize == 0 else {
            emit(header)
            entry = .passThrough(padding: TarHeader.padding(for: header.size))
            return
        }
        try sums?.begin(path: key, blocks: header.size / Self.blockSize)
        if case .blockCompare(let parent, _) = mode, let parentSums = try parent.checksums(of: key) {
            entry = .comparing(header: header, parent: parentSums, index: 0, emitted: false)
            incrementalFiles += 1
        } else {
            emit(header)
            entry = .whole(padding: TarHeader.padding(for: header.size))
        }
    }

    func entryData(_ bytes: UnsafeRawBufferPointer) throws {
        switch entry {
        case .passThrough:
            output += bytes
        case .whole:
            output += bytes
            try wholeBlocks.write(bytes) { _, sum in try sums?.append(sum) }
        case .comparing:
            try comparedBlocks?.write(bytes) { block, sum in try compare(block, sum) }
        case .serverIncremental(_, let reader, _):
            output += bytes
            try reader.write(bytes)
        }
    }

    func endEntry() throws {
        switch entry {
        case .passThrough(let padding):
            output += [UInt8](repeating: 0, count: padding)
        case .whole(let padding):
            try wholeBlocks.finish { _, sum in try sums?.append(sum) }
            output += [UInt8](repeating: 0, count: padding)
        case .comparing:
            try comparedBlocks?.finish { block, sum in try compare(block, sum) }
            if case .comparing(let header, _, _, let emitted) = entry, !pending.isEmpty || !emitted { writeIncremental(header) }
        case .serverIncremental(let relation, let reader, let padding):
            output += [UInt8](repeating: 0, count: padding)
            try reader.finish()
            try recordServerIncremental(relation)
        }
        entry = .passThrough(padding: 0)
    }

    // MARK: block compare

    /// `parentKeyed` is the block's checksum under the parent's key.
    private func compare(_ bytes: UnsafeRawBufferPointer, _ parentKeyed: UnsafeRawBufferPointer) throws {
        guard case .comparing(let header, let parent, let index, let emitted) = entry,
              case .blockCompare(_, let keyedAsParent) = mode else { return }
        let offset = index * BlockChecksum.size
        let unchanged = offset + BlockChecksum.size <= parent.count
            && parentKeyed.elementsEqual(parent[offset..<offset + BlockChecksum.size])
        if keyedAsParent === checksum {
            try sums?.append(parentKeyed)
        } else {
            try checksum.checksum(bytes, into: scratch)
            try sums?.append(UnsafeRawBufferPointer(scratch))
        }
        if !unchanged { pending.append((UInt32(index), Array(bytes))) }
        entry = .comparing(header: header, parent: parent, index: index + 1, emitted: emitted)
        if pending.count == Self.entryBlocks { writeIncremental(header) }
    }

    /// Writes the held blocks as one `INCREMENTAL.<name>` entry; every one of a file carries its length in blocks.
    private func writeIncremental(_ header: TarHeader) {
        let made = IncrementalFileHeader(blocks: pending.map(\.number), truncationBlockLength: UInt32(header.size / Self.blockSize))
        emit(TarHeader(name: IncrementalFileHeader.incrementalPath(of: header.name), mode: header.mode, size: made.fileLength,
                       kind: .file, modificationTime: header.modificationTime))
        output += made.bytes
        for block in pending { output += block.bytes }
        output += [UInt8](repeating: 0, count: TarHeader.padding(for: made.fileLength))
        changedBlocks += pending.count
        pending.removeAll(keepingCapacity: true)
        if case .comparing(let header, let parent, let index, _) = entry {
            entry = .comparing(header: header, parent: parent, index: index, emitted: true)
        }
    }

    // MARK: server incremental

    /// The checksums of the file the server's incremental one rebuilds: its own blocks' anew, the others the parent's
    /// (zero blocks where the rebuild writes zeros). Without the parent's checksums, the backup records none.
    private func recordServerIncremental(_ relation: String) throws {
        changedBlocks += fresh.count
        guard let sums, let made = serverHeader, case .summaries(let parent?) = mode else { return }
        guard let parentSums = try parent.checksums(of: relation) else {
            throw BackupError.protocolViolation("the server sent \(relation) as incremental, but the parent holds no such file")
        }
        let length = Int(made.reconstructedBlockLength)
        let zero = try Self.zeroBlock.withUnsafeBytes { try checksum.checksum($0) }
        try sums.begin(path: relation, blocks: length)
        for number in 0..<length {
            let offset = number * BlockChecksum.size
            if let own = fresh[UInt32(number)] {
                try own.withUnsafeBytes { try sums.append($0) }
            } else if number < Int(made.truncationBlockLength), offset + BlockChecksum.size <= parentSums.count {
                try parentSums[offset..<offset + BlockChecksum.size].withUnsafeBytes { try sums.append($0) }
            } else {
                try zero.withUnsafeBytes { try sums.append($0) }
            }
        }
        fresh = [:]
    }

    private static let zeroBlock = [UInt8](repeating: 0, count: blockSize)

    // MARK: helpers

    private func emit(_ header: TarHeader) {
        output += header.bytes
    }
}
