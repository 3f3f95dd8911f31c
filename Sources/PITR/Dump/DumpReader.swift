import PITRNative
import PITRPipeline
import PITRSupport

/// A dump's bytes as stored: each piece authenticated (or, plain, checked against its digest) as `DecodingSource`
/// checks it, and the whole against the descriptor's SHA-256 before the end is reported: `read` returns 0 only
/// after every check passed, and throws `DumpError.digestMismatch` otherwise.
public final class DumpReader: ByteSource {
    private let source: DecodingSource
    private let descriptor: DumpDescriptor
    private let hasher: SHA256Hasher
    private var checked = false

    init(_ source: DecodingSource, descriptor: DumpDescriptor) throws {
        self.source = source
        self.descriptor = descriptor
        hasher = try SHA256Hasher()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try source.read(into: buffer)
        if count > 0 {
            try hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            return count
        }
        if !checked {
            let digest = hex(try hasher.finish())
            guard digest == descriptor.sha256 else {
                throw DumpError.digestMismatch(dump: descriptor.name, archive: descriptor.archive, expected: descriptor.sha256, actual: digest)
            }
            checked = true
        }
        return 0
    }

    /// Stops decoding what is left (a reader that stopped early).
    public func close() { source.close() }
}
