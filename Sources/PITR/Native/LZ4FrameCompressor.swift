import CLZ4
import PITRSupport

/// LZ4 frame compressor (the frame format of liblz4's LZ4F, which any LZ4 frame reader decodes) whose buffers, states
/// and second thread are reused for every frame. Blocks are independent, 1 MiB each, and carry no checksum, nor does
/// the frame: the object's AEAD or its trailer digest already protects the data.
///
/// Independent blocks are what lets two threads share the work: of each two whole blocks in a row, the second is
/// compressed on a second thread while the calling thread compresses the first, then both are handed on in order.
/// Each block is compressed exactly as LZ4F would (the same function, level and bounds, stored as is when it does
/// not shrink), so the frame is the one LZ4F writes, byte for byte; only LZ4F's own header and end mark are used.
public final class LZ4FrameCompressor {
    /// The block size of every frame (LZ4F_max1MB): a block compresses straight from the caller's memory.
    public static let blockSize = 1 << 20
    /// A block's header: its stored length, with the high bit set when the block is stored uncompressed.
    private static let blockHeaderSize = 4
    private static let uncompressedFlag: UInt32 = 0x8000_0000

    private let context: OpaquePointer
    private var preferences: LZ4F_preferences_t
    private let level: Int
    /// LZ4F's frame header or end mark.
    private let frameBytes: UnsafeMutableRawBufferPointer
    /// The calling thread's and the second thread's block compressors.
    private let own: BlockCompressor
    private let other: BlockCompressor
    /// Input short of a whole block, held until the next call or `finish`.
    private let staging: UnsafeMutableRawBufferPointer
    private var staged = 0
    /// Started at the first two whole blocks in a row, so that small frames never start it.
    private var thread: HandOffThread?

    /// `level` follows the lz4 command: 1 (default) and 2 are the fast mode, 3...12 high compression.
    public init(level: Int = 1) throws {
        var created: OpaquePointer?
        let code = LZ4F_createCompressionContext(&created, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(code) == 0, let created else {
            throw LZ4FrameCompressor.error("LZ4F_createCompressionContext", code)
        }
        context = created
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max1MB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum
        preferences.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum
        preferences.compressionLevel = Int32(clamping: level)
        self.preferences = preferences
        self.level = level
        frameBytes = .allocate(byteCount: Int(LZ4F_HEADER_SIZE_MAX), alignment: 16)
        own = BlockCompressor(level: level)
        other = BlockCompressor(level: level)
        staging = .allocate(byteCount: LZ4FrameCompressor.blockSize, alignment: 64)
    }

    deinit {
        thread?.close()
        LZ4F_freeCompressionContext(context)
        frameBytes.deallocate()
        staging.deallocate()
    }

    /// Starts a new frame, handing its header to `emit`.
    public func begin(into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        staged = 0
        let n = LZ4F_compressBegin(context, frameBytes.baseAddress, frameBytes.count, &preferences)
        try check("LZ4F_compressBegin", n)
        try emit(UnsafeRawBufferPointer(rebasing: frameBytes[0..<n]))
    }

    /// Compresses `input`, handing each finished block to `emit` (the buffer is reused: `emit` must consume it before
    /// returning). A last part short of a whole block waits for more input or for `finish`.
    public func compress(_ input: UnsafeRawBufferPointer, into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let blockSize = LZ4FrameCompressor.blockSize
        var rest = input
        if staged > 0 {
            let n = min(blockSize - staged, rest.count)
            stage(UnsafeRawBufferPointer(rebasing: rest[rest.startIndex..<rest.startIndex + n]))
            rest = UnsafeRawBufferPointer(rebasing: rest[(rest.startIndex + n)...])
            guard staged == blockSize else { return }
            try emitBlocks(UnsafeRawBufferPointer(staging), into: emit)
            staged = 0
        }
        let whole = rest.count / blockSize * blockSize
        if whole > 0 { try emitBlocks(UnsafeRawBufferPointer(rebasing: rest[rest.startIndex..<rest.startIndex + whole]), into: emit) }
        stage(UnsafeRawBufferPointer(rebasing: rest[(rest.startIndex + whole)...]))
    }

    /// Compresses what is staged and writes the end mark.
    public func finish(into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        if staged > 0 { try emitBlocks(UnsafeRawBufferPointer(rebasing: staging[0..<staged]), into: emit) }
        staged = 0
        // Nothing was given to LZ4F since its header, so it writes only the end mark.
        let n = LZ4F_compressEnd(context, frameBytes.baseAddress, frameBytes.count, nil)
        try check("LZ4F_compressEnd", n)
        try emit(UnsafeRawBufferPointer(rebasing: frameBytes[0..<n]))
    }

    private func stage(_ bytes: UnsafeRawBufferPointer) {
        guard let from = bytes.baseAddress, bytes.count > 0 else { return }
        (staging.baseAddress! + staged).copyMemory(from: from, byteCount: bytes.count)
        staged += bytes.count
    }

    /// Compresses `bytes` as blocks of `blockSize` (the last may be shorter), two at a time where there are two.
    private func emitBlocks(_ bytes: UnsafeRawBufferPointer, into emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let blockSize = LZ4FrameCompressor.blockSize
        var start = 0
        while start < bytes.count {
            let first = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + blockSize, bytes.count)])
            start += first.count
            guard start < bytes.count, let thread = try secondThread() else {
                try emit(own.compress(first))
                continue
            }
            let second = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + blockSize, bytes.count)])
            start += second.count
            let other = self.other
            thread.hand { _ = other.compress(second) }
            let firstBlock = own.compress(first)
            thread.waitForHanded()
            try emit(firstBlock)
            try emit(other.block)
        }
    }

    /// The second thread, started on first use; nil where the system gives none (one thread then does all the work).
    private func secondThread() throws -> HandOffThread? {
        if thread == nil { thread = try? HandOffThread() }
        return thread
    }

    private func check(_ operation: String, _ code: Int) throws {
        if LZ4F_isError(code) != 0 { throw LZ4FrameCompressor.error(operation, code) }
    }

    private static func error(_ operation: String, _ code: Int) -> NativeError {
        .library(library: "liblz4", operation: operation, message: String(cString: LZ4F_getErrorName(code)))
    }

    /// One thread's state and output buffer: compresses one block at a time into a block of the frame (header and data).
    private final class BlockCompressor: @unchecked Sendable {
        private let level: Int
        private let state: UnsafeMutableRawPointer
        private let output: UnsafeMutableRawBufferPointer
        /// The block last compressed, valid until the next `compress`.
        private(set) var block = UnsafeRawBufferPointer(start: nil, count: 0)

        init(level: Int) {
            self.level = level
            let stateSize = level >= Int(LZ4HC_CLEVEL_MIN) ? LZ4_sizeofStateHC() : LZ4_sizeofState()
            state = .allocate(byteCount: Int(stateSize), alignment: 16)
            output = .allocate(byteCount: LZ4FrameCompressor.blockHeaderSize + LZ4FrameCompressor.blockSize, alignment: 64)
        }

        deinit {
            state.deallocate()
            output.deallocate()
        }

        /// As LZ4F makes a block: compressed into less room than the input, or stored as it is when it does not fit.
        func compress(_ input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            let source = input.baseAddress!.assumingMemoryBound(to: CChar.self)
            let destination = (output.baseAddress! + LZ4FrameCompressor.blockHeaderSize).assumingMemoryBound(to: CChar.self)
            let room = Int32(input.count - 1)
            let size: Int32 = if level >= Int(LZ4HC_CLEVEL_MIN) {
                LZ4_compress_HC_extStateHC(state, source, destination, Int32(input.count), room, Int32(clamping: level))
            } else {
                // LZ4F's acceleration for fast levels: 1, or 1 - level below zero.
                LZ4_compress_fast_extState(state, source, destination, Int32(input.count), room, Int32(clamping: level < 0 ? 1 - level : 1))
            }
            var header: UInt32
            if size > 0 {
                header = UInt32(size)
            } else {
                UnsafeMutableRawPointer(destination).copyMemory(from: input.baseAddress!, byteCount: input.count)
                header = UInt32(input.count) | LZ4FrameCompressor.uncompressedFlag
            }
            header = header.littleEndian
            withUnsafeBytes(of: &header) { output.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 4) }
            block = UnsafeRawBufferPointer(rebasing: output[0..<LZ4FrameCompressor.blockHeaderSize + (size > 0 ? Int(size) : input.count)])
            return block
        }
    }
}
