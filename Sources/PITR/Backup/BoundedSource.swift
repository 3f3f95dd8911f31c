import PITRSupport

/// The first `limit` bytes of another source: one bounded-size object cut from an unbounded stream.
final class BoundedSource: ByteSource {
    private let source: ByteSource
    private var remaining: Int
    /// True once `limit` bytes were read (the stream may go on in the next object).
    var isFull: Bool { remaining == 0 }

    init(_ source: ByteSource, limit: Int) {
        precondition(limit > 0)
        self.source = source
        self.remaining = limit
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0 else { return 0 }
        let wanted = min(buffer.count, remaining)
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]))
        remaining -= count
        return count
    }
}
