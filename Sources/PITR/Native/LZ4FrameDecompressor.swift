import CLZ4

/// Streaming LZ4 frame decompressor (liblz4 LZ4F) with a reused context and output buffer.
/// Accepts exactly one frame: data after its end, or an input that stops inside it, is an error.
public final class LZ4FrameDecompressor {
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private var frameEnded = false

    public init() throws {
        var created: OpaquePointer?
        let code = LZ4F_createDecompressionContext(&created, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(code) == 0, let created else {
            throw NativeError.library(library: "liblz4", operation: "LZ4F_createDecompressionContext",
                                      message: String(cString: LZ4F_getErrorName(code)))
        }
        context = created
        // At least one maximal block (1 MiB for our frames): blocks then decode straight
        // into this buffer instead of through liblz4's own.
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    }

    deinit {
        LZ4F_freeDecompressionContext(context)
        output.deallocate()
    }

    /// Forgets any frame in progress; call before each new frame.
    public func begin() {
        LZ4F_resetDecompressionContext(context)
        frameEnded = false
    }

    /// Decompresses `input`, handing the original bytes to `emit` in a reused buffer.
    public func decompress(_ input: UnsafeRawBufferPointer, into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress else { return }
        var offset = 0
        while offset < input.count {
            if frameEnded { throw NativeError.trailingData(format: "lz4") }
            var consumed = input.count - offset
            var produced = output.count
            let hint = LZ4F_decompress(context, output.baseAddress, &produced, base + offset, &consumed, nil)
            if LZ4F_isError(hint) != 0 {
                throw NativeError.corruptInput(format: "lz4", message: String(cString: LZ4F_getErrorName(hint)))
            }
            if consumed == 0 && produced == 0 {
                throw NativeError.corruptInput(format: "lz4", message: "no progress")
            }
            offset += consumed
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            if hint == 0 { frameEnded = true }
        }
    }

    /// Throws unless the input so far held one complete frame.
    public func finish(into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        // liblz4 may still hold decoded bytes when the output buffer filled up.
        while !frameEnded {
            var consumed = 0
            var produced = output.count
            let hint = LZ4F_decompress(context, output.baseAddress, &produced, nil, &consumed, nil)
            if LZ4F_isError(hint) != 0 {
                throw NativeError.corruptInput(format: "lz4", message: String(cString: LZ4F_getErrorName(hint)))
            }
            if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            if hint == 0 { frameEnded = true } else if produced == 0 { throw NativeError.incompleteFrame(format: "lz4") }
        }
    }
}
