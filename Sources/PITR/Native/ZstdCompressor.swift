import CZstd

/// Streaming zstd compressor (ZSTD_compressStream2) with a reused context and output buffer.
public final class ZstdCompressor {
    /// The largest window a frame asks for (8 MiB, what levels up to 19 use), so readers
    /// can refuse anything larger and keep their memory bounded.
    public static let maximumWindowLog: Int32 = 23

    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private let level: Int32

    /// `level` as for the zstd command, 1...19 (default 3); negative levels are faster still.
    public init(level: Int = 3) throws {
        guard let created = ZSTD_createCCtx() else {
            throw NativeError.library(library: "libzstd", operation: "ZSTD_createCCtx", message: "out of memory")
        }
        context = created
        self.level = Int32(clamping: level)
        // Large enough that one 1 MiB input block mostly drains in one call.
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: max(ZSTD_CStreamOutSize(), 1 << 20), alignment: 64)
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    /// Starts a new frame (nothing is emitted until input arrives).
    public func begin(into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try check("ZSTD_CCtx_reset", ZSTD_CCtx_reset(context, ZSTD_reset_session_and_parameters))
        try check("ZSTD_CCtx_setParameter", ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
        if level > 19 {
            // The --ultra levels would ask readers for up to 128 MiB of window.
            try check("ZSTD_CCtx_setParameter", ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, ZstdCompressor.maximumWindowLog))
        }
        // The checksum is the trailer's business, as for lz4.
        try check("ZSTD_CCtx_setParameter", ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 0))
    }

    /// Compresses `input`, handing output to `emit` in a reused buffer.
    public func compress(_ input: UnsafeRawBufferPointer, into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while source.pos < source.size {
            var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            try check("ZSTD_compressStream2", ZSTD_compressStream2(context, &target, &source, ZSTD_e_continue))
            if target.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<target.pos])) }
        }
    }

    /// Ends the frame, emitting everything still buffered.
    public func finish(into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while true {
            var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let remaining = ZSTD_compressStream2(context, &target, &source, ZSTD_e_end)
            try check("ZSTD_compressStream2", remaining)
            if target.pos > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<target.pos])) }
            if remaining == 0 { return }
        }
    }

    private func check(_ operation: String, _ code: Int) throws {
        if ZSTD_isError(code) != 0 {
            throw NativeError.library(library: "libzstd", operation: operation, message: String(cString: ZSTD_getErrorName(code)))
        }
    }
}
