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

    /// Reads the dump to its end (so every check is made) and writes it to `sink`; with `untilRefused`, a sink that
    /// stops taking bytes (a program that read what it needed and exited) is left alone and the rest only checked.
    public func copy(to sink: ByteSink, untilRefused: Bool = false) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var writing = true
        while true {
            let count = try buffer.withUnsafeMutableBytes { try read(into: $0) }
            if count == 0 { return }
            guard writing else { continue }
            do {
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            } catch where untilRefused {
                writing = false
            }
        }
    }

    /// Stops decoding what is left (a reader that stopped early).
    public func close() { source.close() }
}
