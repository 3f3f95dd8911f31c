import PITRBackup
import PITRSupport

/// The newest backup's entries that are not written as they are (`EntryTakeover` of its `TarExtractor`s): each
/// `INCREMENTAL.<name>` becomes `<name>`, as long as its header says, with the blocks it holds in place and the
/// rest recorded in `needs` for the older backups; several entries for one file (the block-compare way cuts a file's
/// changes into bounded entries) write into the same file. backup_label loses its `INCREMENTAL FROM` lines when
/// `label` is given (a PostgreSQL incremental's label, which the server refuses to start from).
final class IncrementalEntries: EntryTakeover {
    let needs: RebuildNeeds
    let checksums: RebuiltChecksums
    /// The index of this archive's folder among the rebuild's, recorded with each file.
    let treeIndex: Int
    let tree: ExtractionTree
    /// Where the archive's paths lie in backup_manifest: "" or "pg_tblspc/OID/".
    let manifestPrefix: String
    /// Whether backup_manifest lists the INCREMENTAL entries as they are (the server-side way), to check them by.
    let manifestListsEntries: Bool
    /// Receives the rewritten backup_label's text; nil writes backup_label as it is.
    let label: LabelRewrite?
    private(set) var fileCount = 0
    /// The bytes of the files it wrote, as long as they are rebuilt.
    private(set) var contentBytes = 0

    init(needs: RebuildNeeds, checksums: RebuiltChecksums, treeIndex: Int, tree: ExtractionTree, manifestPrefix: String, manifestListsEntries: Bool, label: LabelRewrite?) {
        self.needs = needs
        self.checksums = checksums
        self.treeIndex = treeIndex
        self.tree = tree
        self.manifestPrefix = manifestPrefix
        self.manifestListsEntries = manifestListsEntries
        self.label = label
    }

    func claim(_ components: [String], size: Int) throws -> EntryClaim? {
        let relative = components.joined(separator: "/")
        if let label, components == ["backup_label"] {
            fileCount += 1
            contentBytes += size
            return EntryClaim(writer: LabelWriter(rewrite: label, tree: tree, limit: size), checkedAs: relative)
        }
        guard let name = components.last, RebuildNeeds.isIncrementalFolder(Array(components.dropLast()), inTablespace: !manifestPrefix.isEmpty),
              let relation = IncrementalFileHeader.relationPath(ofIncremental: name) else { return nil }
        let target = Array(components.dropLast()) + [relation]
        let path = manifestPrefix + target.joined(separator: "/")
        let file: SystemFile
        if needs.contains(path) {
            file = try tree.openCreatedFile(target)
        } else {
            file = try tree.createFile(target, entry: relative)
            fileCount += 1
        }
        let key = needs.key(adding: path)
        let writer = NewestIncrementalWriter(file: file, entry: relative, onHeader: { [unowned self] header, grownBy in
            try needs.begin(path, tree: treeIndex, header: header, archive: tree.archive)
            contentBytes += grownBy
        }, onWrite: { [checksums] bytes, offset in checksums.add(key, bytes, at: offset) })
        return EntryClaim(writer: writer, checkedAs: manifestListsEntries ? relative : nil)
    }
}

/// Writes one INCREMENTAL entry of the newest backup into its file: the length its header gives (what no block fills
/// stays a hole of zeros), and each block in place, a run of consecutive ones with one write.
private final class NewestIncrementalWriter: EntryWriter {
    private var reader: IncrementalFileReader?

    /// `entry` names the entry in errors; `onHeader` gets the header and how many bytes it made the file longer;
    /// `onWrite` each run of blocks as it is written, with its offset.
    init(file: SystemFile, entry: String, onHeader: @escaping (IncrementalFileHeader, Int) throws -> Void,
         onWrite: @escaping (UnsafeRawBufferPointer, Int) -> Void) {
        reader = IncrementalFileReader(file: entry, onHeader: { [file] header in
            let length = Int(header.reconstructedBlockLength) * IncrementalFileHeader.blockSize
            let size = try file.size()
            if size < length { try file.setLength(length) }
            try onHeader(header, max(0, length - size))
        }, onBlocks: { [file] first, bytes in
            try file.write(bytes, at: Int(first) * IncrementalFileHeader.blockSize)
            onWrite(bytes, Int(first) * IncrementalFileHeader.blockSize)
        })
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws { try reader?.write(bytes) }

    func finish() throws {
        try reader?.finish()
        reader = nil
    }
}

/// backup_label without its `INCREMENTAL FROM LSN` and `INCREMENTAL FROM TLI` lines, as pg_combinebackup writes it;
/// the lines it drops are kept for the chain's check.
final class LabelRewrite {
    private(set) var text: [UInt8]?
    private(set) var incrementalFromLSN: String?

    static let droppedPrefixes = ["INCREMENTAL FROM LSN: ", "INCREMENTAL FROM TLI: "]

    /// The label's lines but the dropped ones, each as it was (its newline kept).
    func rewrite(_ bytes: [UInt8]) -> [UInt8] {
        var kept: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = (bytes[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? bytes.count
            let line = String(decoding: bytes[start..<end], as: UTF8.self)
            if let prefix = Self.droppedPrefixes.first(where: { line.hasPrefix($0) }) {
                if prefix == Self.droppedPrefixes[0] {
                    incrementalFromLSN = String(line.dropFirst(prefix.count).prefix { $0 != "\n" })
                }
            } else {
                kept += bytes[start..<end]
            }
            start = end
        }
        text = kept
        return kept
    }
}

/// Gathers backup_label (a few hundred bytes) and writes it rewritten.
private final class LabelWriter: EntryWriter {
    private let rewrite: LabelRewrite
    private let tree: ExtractionTree
    private var bytes: [UInt8] = []
    private let limit: Int

    init(rewrite: LabelRewrite, tree: ExtractionTree, limit: Int) {
        self.rewrite = rewrite
        self.tree = tree
        self.limit = min(limit, 1 << 16)
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        guard bytes.count + chunk.count <= limit else {
            throw RestoreError.corruptArchive(archive: tree.archive, reason: "its backup_label is longer than \(limit) bytes")
        }
        bytes += chunk
    }

    func finish() throws {
        let file = try tree.createFile(["backup_label"], entry: "backup_label")
        try file.write(rewrite.rewrite(bytes))
    }
}
