import CZstd

/// Streaming zstd decompressor (ZSTD_decompressStream) with a reused context and output buffer.
/// Frames needing a window over zstd's default limit (128 MiB) are refused, which bounds memory.
/// Accepts exactly one frame: data after its end, or an input that stops inside it, is an error.
public final class ZstdDecompressor {
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var frameEnded = false
    private var pendingOutput = false

    public init() throws {
        guard let created = ZSTD_createDCtx() else {
            throw NativeError.library(library: "libzstd", operation: "ZSTD_createDCtx", message: "out of memory")
        }
        context = created
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(ZSTD_DStreamOutSize(), 1 << 20), alignment: 64)
    }

    deinit {
        ZSTD_freeDCtx(context)
        output.deallocate()
    }

    /// Forgets any frame in progress; call before each new frame.
    public func begin() {
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        frameEnded = false
        pendingOutput = false
    }

    /// Decompresses `input`, handing the original bytes to `emit` in a reused buffer.
    public func decompress(_ input: UnsafeRawBufferPointer, into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while source.pos < source.size {
            if frameEnded { throw NativeError.trailingData(format: "zstd") }
            try step(&source, emit)
        }
    }

    /// Throws unless the input so far held one complete frame.
    public func finish(into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        // A full output buffer may mean zstd holds more decoded bytes.
        while !frameEnded && pendingOutput { try step(&source, emit) }
        if !frameEnded { throw NativeError.incompleteFrame(format: "zstd") }
    }

    private func step(_ source: inout ZSTD_inBuffer, _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let hint = ZSTD_decompressStream(context, &target, &source)
        if ZSTD_isError(hint) != 0 {
            throw NativeError.corruptInput(format: "zstd", message: String(cString: ZSTD_getErrorName(hint)))
        }
        pendingOutput = target.pos == target.size
        if target.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<target.pos])) }
        if hint == 0 { frameEnded = true }
    }
}
