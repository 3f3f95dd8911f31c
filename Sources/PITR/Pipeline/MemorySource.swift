import PITRSupport

/// A source over bytes in memory: a small object read whole (a backup descriptor) before it is decoded.
public final class MemorySource: ByteSource {
    let bytes: [UInt8]
    /// Tests read in small pieces to cover the decoder's refills.
    let maximumRead: Int
    private var offset = 0

    public init(_ bytes: [UInt8], maximumRead: Int = Int.max) {
        self.bytes = bytes
        self.maximumRead = maximumRead
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset, maximumRead)
        guard n > 0, let destination = buffer.baseAddress else { return 0 }
        bytes.withUnsafeBytes { all in
            if let base = all.baseAddress { destination.copyMemory(from: base + offset, byteCount: n) }
        }
        offset += n
        return n
    }
}
