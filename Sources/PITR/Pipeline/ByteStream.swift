/// Where the pipeline reads bytes from: a local file, a stored object.
public protocol ByteSource: AnyObject {
    /// Reads at most `buffer.count` bytes; returns 0 only at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Where the pipeline writes bytes to: a local file, an object being stored.
public protocol ByteSink: AnyObject {
    /// Writes all of `bytes` or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension SystemFile: ByteSource, ByteSink {}
