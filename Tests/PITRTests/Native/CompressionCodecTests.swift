import Testing
@testable import PITRNative
@testable import PITRPipeline
@testable import PITRSupport

/// The lz4 and zstd wrappers against frames made by the lz4 and zstd commands, and their
/// own output round-tripped in uneven pieces.
@Suite struct CompressionCodecTests {
    static let text = Array("tailtown tailtown tailtown tailtown".utf8)

    @Test func lz4DecodesAFrameFromTheLZ4Command() throws {
        // printf 'tailtown tailtown tailtown tailtown' | lz4 -1 --no-frame-crc
        let frame = bytes(hex: "04224d18604082130000009f7461696c746f776e20090002506c746f776e00000000")
        let decompressor = try LZ4FrameDecompressor()
        #expect(try decode(frame, with: decompressor) == Self.text)
        // Reused for a second frame, fed one byte at a time into 5-byte output buffers.
        #expect(try decode(frame, with: decompressor, inputPiece: 1, outputSize: 5) == Self.text)
    }

    @Test func zstdDecodesAFrameFromTheZstdCommand() throws {
        // printf 'tailtown tailtown tailtown tailtown' | zstd -3 --no-check
        let frame = bytes(hex: "28b52ffd00587d0000487461696c746f776e200100b4cb11")
        #expect(try decode(frame, with: ZstdDecompressor()) == Self.text)
    }

    @Test func lz4RoundTripsLargeMixedInput() throws {
        let input = mixedData(count: 3 << 20 + 12345, seed: 1)
        let compressor = try LZ4FrameCompressor(level: 1)
        for _ in 0..<2 {
            var frame: [UInt8] = []
            try compressor.begin { frame += $0 }
            try feed(input, pieces: [1, 700_000, 1 << 20, 5 << 20]) { try compressor.compress($0) { frame += $0 } }
            try compressor.finish { frame += $0 }
            #expect(Array(frame[0..<4]) == [0x04, 0x22, 0x4d, 0x18])
            #expect(frame.count < input.count)
            #expect(try decode(frame, with: LZ4FrameDecompressor()) == input)
            #expect(try decode(frame, with: LZ4FrameDecompressor(), inputPiece: 100_000, outputSize: 70_000) == input)
        }
    }

    @Test func zstdRoundTripsLargeMixedInput() throws {
        let input = mixedData(count: 3 << 20 + 777, seed: 2)
        let compressor = try ZstdCompressor(level: 3)
        for _ in 0..<2 {
            var frame: [UInt8] = []
            try compressor.begin { frame += $0 }
            try feed(input, pieces: [1, 700_000, 1 << 20, 5 << 20]) { try compressor.compress($0) { frame += $0 } }
            try compressor.finish { frame += $0 }
            #expect(Array(frame[0..<4]) == [0x28, 0xb5, 0x2f, 0xfd])
            #expect(frame.count < input.count)
            #expect(try decode(frame, with: ZstdDecompressor()) == input)
            #expect(try decode(frame, with: ZstdDecompressor(), inputPiece: 100_000, outputSize: 70_000) == input)
        }
    }

    @Test func zstdUltraLevelsStayWithinTheReadersWindow() throws {
        let input = mixedData(count: 1 << 20, seed: 5)
        let compressor = try ZstdCompressor(level: 22)
        var frame: [UInt8] = []
        try compressor.begin { frame += $0 }
        try input.withUnsafeBytes { try compressor.compress($0) { frame += $0 } }
        try compressor.finish { frame += $0 }
        #expect(try decode(frame, with: ZstdDecompressor()) == input)
    }

    @Test func emptyInputMakesAValidFrame() throws {
        var lz4: [UInt8] = [], zstd: [UInt8] = []
        let l = try LZ4FrameCompressor(), z = try ZstdCompressor()
        try l.begin { lz4 += $0 }
        try l.finish { lz4 += $0 }
        try z.begin { zstd += $0 }
        try z.finish { zstd += $0 }
        #expect(try decode(lz4, with: LZ4FrameDecompressor()) == [])
        #expect(try decode(zstd, with: ZstdDecompressor()) == [])
    }

    @Test func truncatedCorruptAndTrailingFramesAreRejected() throws {
        let lz4Frame = bytes(hex: "04224d18604082130000009f7461696c746f776e20090002506c746f776e00000000")
        let zstdFrame = bytes(hex: "28b52ffd00587d0000487461696c746f776e200100b4cb11")
        for (frame, make) in [(lz4Frame, { try LZ4FrameDecompressor() as PayloadDecompressor }),
                              (zstdFrame, { try ZstdDecompressor() as PayloadDecompressor })] {
            #expect(throws: NativeError.self) { try decode(Array(frame.dropLast(3)), with: make()) }
            #expect(throws: NativeError.self) { try decode(frame + [0], with: make()) }
            #expect(throws: NativeError.self) { try decode(frame + frame, with: make()) }
            var damaged = frame
            damaged[1] ^= 0xff
            #expect(throws: NativeError.self) { try decode(damaged, with: make()) }
        }
    }

    /// Decodes through the step API the object decoder uses, with small or large buffers.
    private func decode(_ frame: [UInt8], with decompressor: PayloadDecompressor,
                        inputPiece: Int = Int.max, outputSize: Int = 1 << 20) throws -> [UInt8] {
        decompressor.begin()
        var output: [UInt8] = []
        let space = UnsafeMutableRawBufferPointer.allocate(byteCount: outputSize, alignment: 16)
        defer { space.deallocate() }
        try frame.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = offset + min(inputPiece, all.count - offset)
                let step = try decompressor.decompress(UnsafeRawBufferPointer(rebasing: all[offset..<end]), into: space)
                output += space[0..<step.produced]
                offset += step.consumed
                #expect(step.consumed > 0 || step.produced > 0)
            }
        }
        while true {
            let n = try decompressor.flush(into: space)
            if n == 0 { break }
            output += space[0..<n]
        }
        return output
    }

    private func feed(_ input: [UInt8], pieces: [Int], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try input.withUnsafeBytes { all in
            var offset = 0, turn = 0
            while offset < all.count {
                let n = min(pieces[turn % pieces.count], all.count - offset)
                try body(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n]))
                offset += n
                turn += 1
            }
        }
    }
}
