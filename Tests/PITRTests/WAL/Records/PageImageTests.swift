import Testing
@testable import PITRWAL

/// Full-page images PostgreSQL compressed (wal_compression = pglz on 18, lz4 and zstd on 17: Fixtures/
/// capture-class-updates.sh) restored by `PageImage` and compared with the pages pg_waldump --save-fullpage restored
/// from the same WAL, and images whose lengths are made to lie refused.
@Suite struct PageImageTests {
    /// pg_waldump sets each saved page's pd_lsn (its first 8 bytes) to the record's LSN; the rest is the image's.
    private static let pageLSNSize = 8

    @Test(arguments: [("18-pglz", 18, "pglz"), ("17-lz4", 17, "lz4"), ("17-zstd", 17, "zstd")])
    func everyImageIsThePagePostgreSQLRestores(fixture: String, major: Int, method: String) throws {
        let fixture = try CompressedImages("class-updates-\(fixture)", major: major)
        #expect(Set(fixture.images.keys) == Set(fixture.pages.keys))
        let compressed = fixture.images.values.filter { $0.block.imageCompression?.rawValue == method }
        let holed = compressed.filter { $0.block.imageHasHole && $0.block.holeLength > 0 }
        print("\(method): \(fixture.images.count) images, \(compressed.count) compressed (\(holed.count) with a hole)")
        #expect(compressed.count >= 10 && !holed.isEmpty)
        for (name, image) in fixture.images.sorted(by: { $0.key < $1.key }) {
            let page = try image.restore()
            #expect(page.count == PageImage.size)
            #expect(page.dropFirst(Self.pageLSNSize) == fixture.pages[name]?.dropFirst(Self.pageLSNSize), "\(name)")
        }
    }

    @Test(arguments: [("18-pglz", 18), ("17-lz4", 17), ("17-zstd", 17)])
    func imagesWhoseLengthsDisagreeAreRefused(fixture: String, major: Int) throws {
        let fixture = try CompressedImages("class-updates-\(fixture)", major: major)
        let image = try #require(fixture.images.values.first { $0.block.imageCompression != nil && $0.block.holeLength > 0 })
        let block = image.block
        func with(length: Int? = nil, holeOffset: Int? = nil, holeLength: Int? = nil, info: UInt8? = nil) -> WALRecordBody.BlockReference {
            WALRecordBody.BlockReference(file: block.file, fork: block.fork, number: block.number, payloadOffset: block.payloadOffset,
                                         imageLength: length ?? block.imageLength, imageInfo: info ?? block.imageInfo,
                                         holeOffset: holeOffset ?? block.holeOffset, holeLength: holeLength ?? block.holeLength,
                                         dataLength: block.dataLength)
        }
        #expect(try image.restore(with()).count == PageImage.size)
        // The image cut short, a hole one byte off in either direction, a hole that leaves the page, no hole flag.
        for refused in [with(length: block.imageLength - 1), with(length: block.imageLength / 2), with(holeLength: block.holeLength + 1),
                        with(holeLength: block.holeLength - 1), with(holeOffset: PageImage.size - block.holeLength + 1),
                        with(info: block.imageInfo & ~1)] {
            #expect(throws: PageImage.Refused.self) { try image.restore(refused) }
        }
        // Another method's decoder on the same bytes.
        let other: UInt8 = block.imageCompression == .pglz ? 0x08 : 0x04
        #expect(throws: PageImage.Refused.self) { try image.restore(with(info: block.imageInfo & ~0x1C | other)) }
    }

    /// A pg_class image that does not restore is counted, and the first one's reason is kept for `incidents` to show.
    @Test(arguments: [("18-pglz", 18), ("17-lz4", 17), ("17-zstd", 17)])
    func theFirstRefusedClassImageSaysWhy(fixture: String, major: Int) throws {
        let fixture = try CompressedImages("class-updates-\(fixture)", major: major)
        let image = try #require(fixture.images.sorted { $0.key < $1.key }.map(\.value).first {
            $0.block.imageCompression != nil && $0.block.file.number == WALChangeDecoder.classFileNumber && $0.block.fork == 0
        })
        func absorbed(_ record: [UInt8]) throws -> WALChangeSummary {
            var summary = WALChangeSummary()
            try record.withUnsafeBytes { try WALChangeDecoder.absorb($0, lsn: LSN(0x0100_0028), majorVersion: major, into: &summary) }
            return summary
        }
        #expect(try absorbed(image.record).refusedClassImage == nil)
        var damaged = image.record
        let start = image.payloadStart + image.block.payloadOffset
        for index in start..<(start + image.block.imageLength) { damaged[index] = 0xFF }
        let reason = try #require(try absorbed(damaged).refusedClassImage)
        #expect(reason.hasPrefix("the image of pg_class block \(image.block.number) in the record at 0/1000028: its "), "\(reason)")
        #expect(reason.contains("image"), "\(reason)")
    }
}
