import PITRSupport

/// The block checksums of the backup being taken, gathered in a scratch file while its archives stream, then stored
/// after them as its `blocksums` archive (docs/format.md, "Block checksums"):
///
/// ```
/// "TTBS" | version 1 | key id length (0 or 16) | key id (hex)
/// per relation file: path length (2 bytes) | path ("base.tar/base/5/16384") | block count (4 bytes) | 16 bytes a block
/// a path length of 0
/// ```
/// Integers are big-endian; the path is the tar archive's name and the file's path in it.
package final class BlockSumsWriter {
    package static let magic = Array("TTBS".utf8)
    package static let version: UInt8 = 1

    private let file: SystemFile
    private var buffer: [UInt8] = []
    private var open: (path: String, left: Int)?
    /// Relation files recorded.
    package private(set) var files = 0

    package init(keyID: String) throws {
        file = try SystemFile.scratch(shownAs: "the block checksums of the backup being taken")
        buffer.reserveCapacity(1 << 16)
        buffer += Self.magic + [Self.version, UInt8(keyID.utf8.count)] + Array(keyID.utf8)
    }

    /// Starts the entry of `path`, which `blocks` checksums follow.
    package func begin(path: String, blocks: Int) throws {
        precondition(open == nil, "an entry is open")
        let name = Array(path.utf8)
        precondition(!name.isEmpty && name.count <= Int(UInt16.max) && blocks <= Int(UInt32.max))
        append(UInt16(name.count))
        buffer += name
        append(UInt32(blocks))
        open = (path, blocks)
        files += 1
        closeIfComplete()
    }

    package func append(_ checksum: UnsafeRawBufferPointer) throws {
        guard let entry = open, entry.left > 0 else { preconditionFailure("no entry is open") }
        buffer += checksum.prefix(BlockChecksum.size)
        open = (entry.path, entry.left - 1)
        if buffer.count >= 1 << 16 { try flush() }
        closeIfComplete()
    }

    private func closeIfComplete() {
        if open?.left == 0 { open = nil }
    }

    /// Ends the file and returns it, to be stored.
    package func finish() throws -> SystemFile {
        precondition(open == nil, "an entry is open")
        append(UInt16(0))
        try flush()
        return file
    }

    private func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { buffer += $0 }
    }
}
