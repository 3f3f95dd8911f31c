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

/// Writes everything `source` holds into `sink`, `blockSize` bytes at a time; returns the bytes copied.
package func copyAll(from source: ByteSource, to sink: ByteSink, blockSize: Int = 1 << 20) throws -> Int {
    var block = [UInt8](repeating: 0, count: blockSize)
    var total = 0
    while true {
        let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { return total }
        try block.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        total += n
    }
}
