import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport

/// A stored backup's block checksums, for a block-compare incremental on top of it: its `blocksums` archive decoded
/// (authenticated, as every piece is) into a scratch file, and where each relation file's checksums lie in it. Memory
/// holds one entry a relation file (`PathTable`: 24 bytes and the path), never the checksums.
package final class BlockSumsIndex {
    /// The key id the checksums are keyed by ("" when keyed by the repository id).
    package let keyID: String
    private let file: SystemFile
    private var entries = PathTable<(offset: Int, blocks: Int)>()

    /// Decodes `backup`'s block checksums; throws `BackupError.parentUnusable` when it has none or they are damaged.
    package convenience init(of backup: BackupDescriptor, repository: Repository) throws {
        let pieces = backup.objects.filter { $0.archive == BackupDescriptor.blockSumsArchive }
        guard !pieces.isEmpty else {
            throw BackupError.parentUnusable(backup: backup.name, reason: "it holds no block checksums (taken by an earlier release)")
        }
        let file = try SystemFile.scratch(shownAs: "the block checksums of backup \(backup.name)")
        let decoder = ObjectDecoder(keyring: repository.keyring)
        for piece in pieces {
            let key = BackupDescriptor.objectKey(backup: backup.name, object: piece.name)
            let trailer = try decoder.decode(from: try repository.storage.openForReading(key), to: file,
                                             object: repository.storage.describe(key), identity: backup.objectIdentity(of: piece))
            guard trailer.originalSize == piece.rawBytes else {
                throw BackupError.parentUnusable(backup: backup.name, reason: "\(repository.storage.describe(key)) decodes to \(trailer.originalSize) bytes, not \(piece.rawBytes)")
            }
        }
        try self.init(decoded: file, backup: backup.name)
    }

    /// The index of checksums already decoded into `file` (as `BlockSumsWriter.finish` leaves them), of `backup`.
    init(decoded file: SystemFile, backup: String) throws {
        self.file = file
        var reader = IndexReader(file: file, backup: backup)
        guard try reader.bytes(4) == BlockSumsWriter.magic, try reader.bytes(1) == [BlockSumsWriter.version] else {
            throw reader.damaged("it does not start with TTBS version 1")
        }
        let idLength = Int(try reader.bytes(1)[0])
        keyID = String(decoding: try reader.bytes(idLength), as: UTF8.self)
        while true {
            let length = Int(try reader.number(2))
            if length == 0 { break }
            let path = try reader.bytes(length)
            let blocks = Int(try reader.number(4))
            guard entries.append(path, (reader.offset, blocks)) else { throw reader.damaged("its paths pass 4 GiB") }
            reader.offset += blocks * BlockChecksum.size
        }
        guard reader.offset == (try file.size()) else { throw reader.damaged("data follows its end") }
        if let twice = entries.sort() { throw reader.damaged("it lists \(twice) twice") }
    }

    /// The checksums of `path` ("base.tar/base/5/16384"), 16 bytes a block; nil when the backup holds no such file.
    package func checksums(of path: String) throws -> [UInt8]? {
        guard let entry = entries.index(of: path).map(entries.value(at:)) else { return nil }
        var bytes = [UInt8](repeating: 0, count: entry.blocks * BlockChecksum.size)
        let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: entry.offset) }
        guard count == bytes.count else { throw IOError("read the block checksums of \(path) from", file.path) }
        return bytes
    }

    package var fileCount: Int { entries.count }

    /// Reads the scratch file's entry headers by offset.
    private struct IndexReader {
        let file: SystemFile
        let backup: String
        var offset = 0

        mutating func bytes(_ count: Int) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            let read = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
            guard read == count else { throw damaged("it ends early") }
            offset += count
            return bytes
        }

        mutating func number(_ count: Int) throws -> UInt64 {
            try bytes(count).reduce(0) { $0 << 8 | UInt64($1) }
        }

        func damaged(_ reason: String) -> BackupError {
            .parentUnusable(backup: backup, reason: "its block checksums are damaged: \(reason)")
        }
    }
}
