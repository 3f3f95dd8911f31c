import CLZ4

/// Streaming LZ4 frame compressor (liblz4 LZ4F) whose context and output buffer are
/// reused for every frame. Block and content checksums are off: the object's AEAD or
/// its trailer digest already protects the data.
public final class LZ4FrameCompressor {
    /// Inputs larger than this are fed to liblz4 in pieces, so the output buffer stays bounded.
    public static let maximumInputPiece = 1 << 20

    private let context: OpaquePointer
    private var preferences: LZ4F_preferences_t
    private let output: UnsafeMutableRawBufferPointer

    /// `level` follows the lz4 command: 1 (default) and 2 are the fast mode, 3...12 high compression.
    public init(level: Int = 1) throws {
        var created: OpaquePointer?
        let code = LZ4F_createCompressionContext(&created, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(code) == 0, let created else {
            throw LZ4FrameCompressor.error("LZ4F_createCompressionContext", code)
        }
        context = created
        var preferences = LZ4F_preferences_t()
        // 1 MiB independent blocks: a 1 MiB input block compresses straight from the
        // caller's memory, and no dictionary needs saving between blocks.
        preferences.frameInfo.blockSizeID = LZ4F_max1MB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum
        preferences.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum
        preferences.compressionLevel = Int32(clamping: level)
        self.preferences = preferences
        let capacity = max(Int(LZ4F_HEADER_SIZE_MAX), LZ4F_compressBound(LZ4FrameCompressor.maximumInputPiece, &preferences))
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        LZ4F_freeCompressionContext(context)
        output.deallocate()
    }

    /// Starts a new frame, handing its header to `emit`.
    public func begin(into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let n = LZ4F_compressBegin(context, output.baseAddress, output.count, &preferences)
        try check("LZ4F_compressBegin", n)
        try emit(UnsafeRawBufferPointer(rebasing: output[0..<n]))
    }

    /// Compresses `input`, handing whatever output is ready to `emit` (the buffer is reused:
    /// `emit` must consume it before returning).
    public func compress(_ input: UnsafeRawBufferPointer, into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < input.count, let base = input.baseAddress {
            let piece = min(input.count - offset, LZ4FrameCompressor.maximumInputPiece)
            let n = LZ4F_compressUpdate(context, output.baseAddress, output.count, base + offset, piece, nil)
            try check("LZ4F_compressUpdate", n)
            if n > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<n])) }
            offset += piece
        }
    }

    /// Flushes the last block and writes the end mark.
    public func finish(into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let n = LZ4F_compressEnd(context, output.baseAddress, output.count, nil)
        try check("LZ4F_compressEnd", n)
        if n > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<n])) }
    }

    private func check(_ operation: String, _ code: Int) throws {
        if LZ4F_isError(code) != 0 { throw LZ4FrameCompressor.error(operation, code) }
    }

    private static func error(_ operation: String, _ code: Int) -> NativeError {
        .library(library: "liblz4", operation: operation, message: String(cString: LZ4F_getErrorName(code)))
    }
}
