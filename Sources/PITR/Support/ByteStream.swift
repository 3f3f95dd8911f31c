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

/// Reads until `buffer` is full or `source` ends; returns the bytes read.
package func readFully(_ source: ByteSource, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var total = 0
    while total < buffer.count {
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
        if n == 0 { break }
        total += n
    }
    return total
}

extension SystemFile: ByteSource, ByteSink {}
