import Testing
@testable import PITRWAL

/// The pglz decoder on what PostgreSQL 18's pglz_compress wrote (the page images of Fixtures/class-updates-18-pglz,
/// compared with pg_waldump's restored pages), on hand-made back-references, and on damaged input, which must throw.
@Suite struct PGLZTests {
    private static let fixture = Result { try CompressedImages("class-updates-18-pglz", major: 18) }

    /// The real images: (compressed bytes, the page pg_waldump restored less its hole and pd_lsn, the hole's length).
    private func real() throws -> [(input: [UInt8], expected: ArraySlice<UInt8>, size: Int)] {
        let fixture = try Self.fixture.get()
        return try fixture.images.sorted { $0.key < $1.key }.filter { $0.value.block.imageCompression == .pglz }.map { name, image in
            let page = try #require(fixture.pages[name])
            let (offset, length) = (image.block.holeOffset, image.block.holeLength)
            let unholed = Array(page[..<offset]) + Array(page[(offset + length)...])
            return (Array(image.stored), unholed.dropFirst(8), PageImage.size - length)
        }
    }

    @Test func decodesWhatPostgreSQLCompressed() throws {
        let images = try real()
        #expect(images.count >= 10)
        for image in images {
            let decoded = try image.input.withUnsafeBytes { try PGLZ.decompress($0, size: image.size) }
            #expect(decoded.dropFirst(8) == image.expected)
        }
        let (input, output) = images.reduce((0, 0)) { ($0.0 + $1.input.count, $0.1 + $1.size) }
        print("pglz: \(images.count) images, \(input) bytes decoded to \(output) (\(output * 100 / max(input, 1)) %)")
    }

    @Test func backReferencesOverlapTheirOutput() throws {
        // Control 0b1010: the literal "a", 5 bytes from 1 back, the literal "b", 18 + 2 bytes from 2 back.
        let input: [UInt8] = [0b1010, 0x61, 0x02, 0x01, 0x62, 0x0F, 0x02, 0x02]
        let decoded = try input.withUnsafeBytes { try PGLZ.decompress($0, size: 27) }
        #expect(String(decoding: decoded, as: UTF8.self) == "aaaaaab" + String(repeating: "ab", count: 10))
    }

    @Test func damagedInputThrows() throws {
        let image = try #require(try real().first)
        func decode(_ input: [UInt8], size: Int? = nil) throws -> [UInt8] {
            try input.withUnsafeBytes { try PGLZ.decompress($0, size: size ?? image.size) }
        }
        // Truncated anywhere, or one byte too many; asked for a size it does not decode to.
        for cut in [1, 2, 3, image.input.count / 2, image.input.count - 1] {
            #expect(throws: PGLZ.Corrupt.self) { try decode(Array(image.input.prefix(cut))) }
        }
        #expect(throws: PGLZ.Corrupt.self) { try decode(image.input + [0]) }
        #expect(throws: PGLZ.Corrupt.self) { try decode(image.input, size: image.size - 1) }
        #expect(throws: PGLZ.Corrupt.self) { try decode(image.input, size: image.size + 1) }
        // A back-reference before the start, or of distance 0; one ending inside its length byte; an empty input.
        #expect(throws: PGLZ.Corrupt.self) { try decode([0b10, 0x61, 0x00, 0x02], size: 4) }
        #expect(throws: PGLZ.Corrupt.self) { try decode([0b10, 0x61, 0x00, 0x00], size: 4) }
        #expect(throws: PGLZ.Corrupt.self) { try decode([0b10, 0x61, 0x0F, 0x01], size: 40) }
        #expect(throws: PGLZ.Corrupt.self) { try decode([], size: 1) }
        // Each byte of the real image flipped in turn: the decoder throws or decodes to the size asked, and never traps.
        var flipped = 0
        for at in image.input.indices {
            var damaged = image.input
            damaged[at] ^= 0xFF
            do { #expect(try decode(damaged).count == image.size) } catch { flipped += 1 }
        }
        print("pglz: \(flipped) of \(image.input.count) single-byte flips refused")
    }
}
