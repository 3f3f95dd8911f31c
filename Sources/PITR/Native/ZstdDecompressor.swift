import CZstd

/// Streaming zstd decompressor (ZSTD_decompressStream) with a reused context, writing into
/// buffers the caller provides. Frames needing a window over 8 MiB (more than
/// `ZstdCompressor` ever asks for) are refused, which bounds memory. Accepts exactly one frame: data after its end, or an
/// input that stops inside it, is an error.
public final class ZstdDecompressor {
    /// libzstd's version, as linked in ("1.5.4").
    public static var libraryVersion: String { String(cString: ZSTD_versionString()) }

    private let context: OpaquePointer
    public private(set) var isFrameComplete = false

    public init() throws {
        guard let created = ZSTD_createDCtx() else {
            throw NativeError.library(library: "libzstd", operation: "ZSTD_createDCtx", message: "out of memory")
        }
        context = created
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Forgets any frame in progress; call before each new frame.
    public func begin() {
        ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, ZstdCompressor.maximumWindowLog)
        isFrameComplete = false
    }

    /// Decodes from `input` into `output`, returning the bytes consumed and produced.
    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int) {
        if isFrameComplete {
            if input.isEmpty { return (0, 0) }
            throw NativeError.trailingData(format: "zstd")
        }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let hint = ZSTD_decompressStream(context, &target, &source)
        if ZSTD_isError(hint) != 0 {
            throw NativeError.corruptInput(format: "zstd", message: String(cString: ZSTD_getErrorName(hint)))
        }
        if hint == 0 { isFrameComplete = true }
        return (source.pos, target.pos)
    }

    /// After the last input: writes decoded bytes zstd still holds into `output` and returns
    /// their count, 0 once the frame is complete. Throws if the input stopped inside the frame.
    public func flush(into output: UnsafeMutableRawBufferPointer) throws -> Int {
        if isFrameComplete { return 0 }
        let produced = try decompress(UnsafeRawBufferPointer(start: nil, count: 0), into: output).produced
        if produced == 0 && !isFrameComplete { throw NativeError.incompleteFrame(format: "zstd") }
        return produced
    }
}

extension ZstdDecompressor {
    /// Decodes one whole zstd frame (as PostgreSQL's wal_compression = zstd writes a page image) into `output` with
    /// ZSTD_decompress. Returns the bytes produced; a frame that is corrupt, incomplete, followed by other bytes or
    /// larger than `output` throws `.corruptInput`.
    public static func decompressFrame(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        let produced = ZSTD_decompress(output.baseAddress, output.count, input.baseAddress, input.count)
        guard ZSTD_isError(produced) == 0 else {
            throw NativeError.corruptInput(format: "zstd", message: String(cString: ZSTD_getErrorName(produced)))
        }
        return produced
    }
}
