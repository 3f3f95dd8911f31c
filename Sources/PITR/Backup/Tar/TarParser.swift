import PITRSupport

/// What a `TarParser` hands each entry to, in stream order.
package protocol TarEntryHandler: AnyObject {
    /// A new entry; a file's `header.size` bytes follow through `entryData`, then `endEntry` (at once when empty).
    func beginEntry(_ header: TarHeader) throws
    func entryData(_ bytes: UnsafeRawBufferPointer) throws
    func endEntry() throws
}

/// Reads a tar stream as it arrives (written to it in pieces of any size) and hands its entries to a handler; nothing
/// is held beyond one header block. Accepts the ustar subset PostgreSQL's BASE_BACKUP writes, ended by two zero
/// blocks, with only zeros after them.
package final class TarParser: ByteSink {
    /// Names the archive in errors.
    let archive: String
    private let handler: TarEntryHandler
    private var header = [UInt8](repeating: 0, count: TarHeader.blockSize)
    private var headerFill = 0
    private var remaining = 0
    private var padding = 0
    private var zeroBlocks = 0

    package init(archive: String, handler: TarEntryHandler) {
        self.archive = archive
        self.handler = handler
    }

    /// True once the two closing zero blocks were read.
    package var isComplete: Bool { zeroBlocks >= 2 }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let available = bytes.count - offset
            if isComplete {
                guard bytes[offset...].allSatisfy({ $0 == 0 }) else {
                    throw TarFormatError.corrupt(archive: archive, reason: "data follows the end-of-archive blocks")
                }
                return
            } else if remaining > 0 {
                let count = min(remaining, available)
                try handler.entryData(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
                remaining -= count
                offset += count
                if remaining == 0 { try endEntry() }
            } else if padding > 0 {
                let count = min(padding, available)
                padding -= count
                offset += count
            } else {
                let count = min(TarHeader.blockSize - headerFill, available)
                header.withUnsafeMutableBytes { target in
                    UnsafeMutableRawBufferPointer(rebasing: target[headerFill..<headerFill + count])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
                }
                headerFill += count
                offset += count
                if headerFill == TarHeader.blockSize {
                    headerFill = 0
                    try header.withUnsafeBytes { try entry($0) }
                }
            }
        }
    }

    /// Throws unless the stream ended exactly with the end-of-archive blocks.
    package func finish() throws {
        guard isComplete else {
            throw TarFormatError.corrupt(archive: archive, reason: "it ends before its end-of-archive blocks (a missing or truncated piece)")
        }
    }

    private func entry(_ block: UnsafeRawBufferPointer) throws {
        if TarHeader.isZeroBlock(block) {
            zeroBlocks += 1
            return
        }
        guard zeroBlocks == 0 else { throw TarFormatError.corrupt(archive: archive, reason: "an entry follows a zero block") }
        let header = try TarHeader(block, archive: archive)
        try handler.beginEntry(header)
        let size = header.kind == .file ? header.size : 0
        remaining = size
        padding = TarHeader.padding(for: size)
        if size == 0 { try endEntry() }
    }

    private func endEntry() throws {
        try handler.endEntry()
    }
}
