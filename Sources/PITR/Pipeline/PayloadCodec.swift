import PITRNative

/// Receives output in a buffer the producer reuses: consume it before returning.
typealias Emit = (UnsafeRawBufferPointer) throws -> Void

/// One streaming compressor per `Compression`, reused frame after frame.
protocol PayloadCompressor: AnyObject {
    func begin(into emit: Emit) throws
    func compress(_ input: UnsafeRawBufferPointer, into emit: Emit) throws
    func finish(into emit: Emit) throws
}

/// One streaming decompressor per `Compression`, writing into buffers the caller provides.
/// It throws `NativeError` on damaged data, on data after the end of the frame, and from
/// `flush` when the input stopped inside the frame.
protocol PayloadDecompressor: AnyObject {
    func begin()
    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int)
    /// After the last input: bytes still held go to `output`; returns 0 once all is out.
    func flush(into output: UnsafeMutableRawBufferPointer) throws -> Int
}

extension LZ4FrameCompressor: PayloadCompressor {}
extension ZstdCompressor: PayloadCompressor {}
extension LZ4FrameDecompressor: PayloadDecompressor {}
extension ZstdDecompressor: PayloadDecompressor {}

/// `Compression.none`: the payload is the original bytes.
final class StoredPayload: PayloadCompressor, PayloadDecompressor {
    func begin(into emit: Emit) throws {}
    func compress(_ input: UnsafeRawBufferPointer, into emit: Emit) throws { try emit(input) }
    func finish(into emit: Emit) throws {}
    func begin() {}

    func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int) {
        let n = min(input.count, output.count)
        if n > 0, let from = input.baseAddress, let to = output.baseAddress { to.copyMemory(from: from, byteCount: n) }
        return (n, n)
    }

    func flush(into output: UnsafeMutableRawBufferPointer) throws -> Int { 0 }
}

extension Compression {
    func makeCompressor(level: Int?) throws -> PayloadCompressor {
        switch self {
        case .none: StoredPayload()
        case .lz4: try LZ4FrameCompressor(level: level ?? 1)
        case .zstd: try ZstdCompressor(level: level ?? 3)
        }
    }

    func makeDecompressor() throws -> PayloadDecompressor {
        switch self {
        case .none: StoredPayload()
        case .lz4: try LZ4FrameDecompressor()
        case .zstd: try ZstdDecompressor()
        }
    }
}
