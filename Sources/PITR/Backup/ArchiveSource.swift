import PITRSupport

/// A stream of one archive's bytes that says, before a stored piece is closed, whether more follow (so that the
/// last piece is flagged as last).
package protocol ArchiveSource: ByteSource {
    func hasMoreData() throws -> Bool
}

extension BaseBackupStream: ArchiveSource {}
extension StoredArchive: ArchiveSource {}

/// A scratch file read from its start to its end, such as the block checksums gathered while a backup streamed.
final class ScratchSource: ArchiveSource {
    private let file: SystemFile
    private let size: Int
    private var offset = 0

    init(_ file: SystemFile) throws {
        self.file = file
        size = try file.size()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, size - offset)]), at: offset)
        offset += count
        return count
    }

    func hasMoreData() throws -> Bool { offset < size }
}
