import CLZ4

/// Streaming LZ4 frame decompressor (liblz4 LZ4F) with a reused context, writing into
/// buffers the caller provides. Accepts exactly one frame: data after its end, or an input
/// that stops inside it, is an error.
public final class LZ4FrameDecompressor {
    /// liblz4's version, as linked in ("1.9.4").
    public static var libraryVersion: String { String(cString: LZ4_versionString()) }

    private let context: OpaquePointer
    public private(set) var isFrameComplete = false

    public init() throws {
        var created: OpaquePointer?
        let code = LZ4F_createDecompressionContext(&created, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(code) == 0, let created else {
            throw NativeError.library(library: "liblz4", operation: "LZ4F_createDecompressionContext",
                                      message: String(cString: LZ4F_getErrorName(code)))
        }
        context = created
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    /// Forgets any frame in progress; call before each new frame.
    public func begin() {
        LZ4F_resetDecompressionContext(context)
        isFrameComplete = false
    }

    /// Decodes from `input` into `output`, returning the bytes consumed and produced.
    /// Output of at least 1 MiB (the block size our frames use) lets blocks decode in place.
    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int) {
        if isFrameComplete {
            if input.isEmpty { return (0, 0) }
            throw NativeError.trailingData(format: "lz4")
        }
        var consumed = input.count
        var produced = output.count
        let hint = LZ4F_decompress(context, output.baseAddress, &produced, input.baseAddress, &consumed, nil)
        if LZ4F_isError(hint) != 0 {
            throw NativeError.corruptInput(format: "lz4", message: String(cString: LZ4F_getErrorName(hint)))
        }
        if hint == 0 { isFrameComplete = true }
        return (consumed, produced)
    }

    /// After the last input: writes decoded bytes liblz4 still holds into `output` and returns
    /// their count, 0 once the frame is complete. Throws if the input stopped inside the frame.
    public func flush(into output: UnsafeMutableRawBufferPointer) throws -> Int {
        if isFrameComplete { return 0 }
        let produced = try decompress(UnsafeRawBufferPointer(start: nil, count: 0), into: output).produced
        if produced == 0 && !isFrameComplete { throw NativeError.incompleteFrame(format: "lz4") }
        return produced
    }
}

extension LZ4FrameDecompressor {
    /// Decodes one raw LZ4 block (no frame around it, as PostgreSQL's wal_compression = lz4 writes a page image) into
    /// `output` with LZ4_decompress_safe, which never reads or writes outside the two buffers. Returns the bytes
    /// produced; input that is not a valid block, or decodes to more than `output` holds, throws `.corruptInput`.
    public static func decompressBlock(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard input.count <= Int(Int32.max), output.count <= Int(Int32.max), let source = input.baseAddress,
              let target = output.baseAddress else {
            throw NativeError.corruptInput(format: "lz4 block", message: "empty or oversized buffer")
        }
        let produced = LZ4_decompress_safe(source.assumingMemoryBound(to: CChar.self), target.assumingMemoryBound(to: CChar.self),
                                           Int32(input.count), Int32(output.count))
        guard produced >= 0 else { throw NativeError.corruptInput(format: "lz4 block", message: "LZ4_decompress_safe returned \(produced)") }
        return Int(produced)
    }
}
