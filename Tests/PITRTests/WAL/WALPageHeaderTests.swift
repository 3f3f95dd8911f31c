import Testing
@testable import PITRWAL

/// Validation against headers built in memory; `RealClusterTests` checks real segments.
@Suite struct WALPageHeaderTests {
    static let system: UInt64 = 7_312_093_440_512_345_678
    let cluster = ClusterIdentity(majorVersion: 15, systemIdentifier: system)
    let name = try! WALSegmentName(parsing: "000000020000000100000003")
    let mib16 = WALSegmentSize.standard

    /// A long page header as PostgreSQL 15 writes it, little-endian.
    static func header(
        magic: UInt16 = 0xD110, info: UInt16 = 0x0002, timeline: UInt32 = 2, pageAddress: UInt64 = 0x1_0300_0000,
        system: UInt64 = system, segmentSize: UInt32 = 16 << 20, blockSize: UInt32 = 8192
    ) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
            (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
        return le(magic) + le(info) + le(timeline) + le(pageAddress) + le(UInt32(0)) + le(UInt32(0))
            + le(system) + le(segmentSize) + le(blockSize)
    }

    private func validate(_ bytes: [UInt8], fileSize: Int = 16 << 20, as name: WALSegmentName? = nil) throws -> WALSegmentSize {
        try WALPageHeader(bytes: bytes, file: "pg_wal/X").validate(as: name ?? self.name, fileSize: fileSize, cluster: cluster, file: "pg_wal/X")
    }

    @Test func decodesTheFields() throws {
        let header = try WALPageHeader(bytes: Self.header(), file: "f")
        #expect(header.magic == 0xD110)
        #expect(header.majorVersion == 15)
        #expect(header.isLong)
        #expect(header.timeline == TimelineID(2))
        #expect(header.pageAddress == (try LSN(parsing: "1/3000000")))
        #expect(header.systemIdentifier == Self.system)
        #expect(header.segmentSizeBytes == 16 << 20)
        #expect(header.blockSize == 8192)
        #expect(try validate(Self.header()) == mib16)
    }

    @Test func magicValuesPerMajorVersion() {
        #expect([15, 16, 17, 18].map { PostgreSQLMajor.pageMagic(of: $0) } == [0xD110, 0xD113, 0xD116, 0xD118])
        #expect([15, 16, 17, 18].map { PostgreSQLMajor.controlVersion(of: $0) } == [1300, 1300, 1700, 1800])
        #expect(PostgreSQLMajor.major(forPageMagic: 0xD118) == 18)
        #expect(PostgreSQLMajor.major(forPageMagic: 0xD10D) == nil, "14's WAL is refused, not read as a neighbour's")
        #expect(PostgreSQLMajor.pageMagic(of: 19) == nil)
    }

    @Test func tooShort() {
        #expect(throws: WALError.headerTooShort(file: "f", bytes: 39)) {
            try WALPageHeader(bytes: Array(Self.header().prefix(39)), file: "f")
        }
    }

    @Test func eachMismatchIsItsOwnError() throws {
        #expect(throws: WALError.unknownPageMagic(file: "pg_wal/X", magic: 0x1234)) { try validate(Self.header(magic: 0x1234)) }
        #expect(throws: WALError.pageMagicMismatch(file: "pg_wal/X", fileVersion: 16, clusterVersion: 15)) {
            try validate(Self.header(magic: 0xD113))
        }
        #expect(throws: WALError.missingLongHeader(file: "pg_wal/X", info: 0x0001)) { try validate(Self.header(info: 0x0001)) }
        #expect(throws: WALError.systemIdentifierMismatch(file: "pg_wal/X", fileSystem: 42, clusterSystem: Self.system)) {
            try validate(Self.header(system: 42))
        }
        #expect(throws: WALError.invalidHeaderSegmentSize(file: "pg_wal/X", bytes: 3 << 20)) {
            try validate(Self.header(segmentSize: 3 << 20))
        }
        #expect(throws: WALError.invalidHeaderBlockSize(file: "pg_wal/X", bytes: 100)) { try validate(Self.header(blockSize: 100)) }
        #expect(throws: WALError.fileSizeMismatch(file: "pg_wal/X", fileBytes: 8192, segmentSize: mib16)) {
            try validate(Self.header(), fileSize: 8192)
        }
        #expect(throws: WALError.pageAddressMismatch(file: "pg_wal/X", found: LSN(0x1_0300_0000), expected: LSN(0x1_0400_0000))) {
            try validate(Self.header(), as: name.next(mib16))
        }
        #expect(throws: WALError.timelineMismatch(file: "pg_wal/X", headerTimeline: TimelineID(3), nameTimeline: TimelineID(2))) {
            try validate(Self.header(timeline: 3))
        }
        // The segment size comes from the header, so a name impossible for that size is refused.
        let low = try WALSegmentName(parsing: "000000020000000000000050")
        #expect(throws: WALError.segmentNameOutOfRange("000000020000000000000050", segmentSize: try WALSegmentSize(megabytes: 64))) {
            try validate(Self.header(pageAddress: 0x50 << 26, segmentSize: 64 << 20), fileSize: 64 << 20, as: low)
        }
    }

    /// The first segment of a new timeline starts with its parent's copied tail.
    @Test func acceptsAnOlderTimelineInTheHeader() throws {
        #expect(try validate(Self.header(timeline: 1)) == mib16)
    }

    @Test func messagesNameTheFileAndBothValues() {
        let message = WALError.systemIdentifierMismatch(file: "pg_wal/X", fileSystem: 7312, clusterSystem: 7499).description
        #expect(message.contains("WAL file 'pg_wal/X' belongs to database system 7312 but this data directory is system 7499"))
        let address = WALError.pageAddressMismatch(file: "pg_wal/X", found: LSN(0x300_0000), expected: LSN(0x400_0000)).description
        #expect(address.contains("'pg_wal/X' starts at LSN 0/3000000 but its name says it starts at 0/4000000"))
    }
}
