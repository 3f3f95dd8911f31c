import Testing
@testable import PITRWAL

@Suite struct WALSegmentNameTests {
    let mib16 = WALSegmentSize.standard
    let mib64 = try! WALSegmentSize(megabytes: 64)
    let gib1 = try! WALSegmentSize(megabytes: 1024)

    @Test func parsesPartsWithoutASize() throws {
        let name = try WALSegmentName(parsing: "0000000200000003000000FE")
        #expect(name.timeline == TimelineID(2))
        #expect(name.high == 3)
        #expect(name.low == 0xFE)
        #expect(name.fileName == "0000000200000003000000FE")
        #expect(name.description == "0000000200000003000000FE")
        #expect(name.folderName == "0000000200000003")
    }

    @Test func segmentNumberDependsOnTheSize() throws {
        let name = try WALSegmentName(parsing: "000000010000000100000003")
        #expect(name.number(mib16) == 0x103)
        #expect(name.number(mib64) == 0x43)
        #expect(name.number(gib1) == 7)
        #expect(name.startLSN(mib16) == (try LSN(parsing: "1/3000000")))
        #expect(name.startLSN(mib64) == (try LSN(parsing: "1/C000000")))
        #expect(name.startLSN(gib1) == (try LSN(parsing: "1/C0000000")))
        #expect(WALSegmentName(timeline: TimelineID(1), number: 0x103, segmentSize: mib16) == name)
        #expect(WALSegmentName(timeline: TimelineID(1), number: 0x43, segmentSize: mib64) == name)
    }

    @Test func lowPartMustExistForTheSize() throws {
        #expect(try WALSegmentName(parsing: "0000000100000000000000FF", segmentSize: mib16).low == 0xFF)
        #expect(throws: WALError.self) { try WALSegmentName(parsing: "000000010000000000000100", segmentSize: mib16) }
        #expect(try WALSegmentName(parsing: "00000001000000000000003F", segmentSize: mib64).low == 0x3F)
        #expect(throws: WALError.segmentNameOutOfRange("000000010000000000000040", segmentSize: mib64)) {
            try WALSegmentName(parsing: "000000010000000000000040", segmentSize: mib64)
        }
        #expect(try WALSegmentName(parsing: "000000010000000000000003", segmentSize: gib1).low == 3)
        #expect(throws: WALError.self) { try WALSegmentName(parsing: "000000010000000000000004", segmentSize: gib1) }
        // Without a size, the name is only text and any low part parses.
        #expect(try WALSegmentName(parsing: "0000000100000000FFFFFFFF").low == 0xFFFF_FFFF)
    }

    @Test func nextCarriesIntoTheHighPart() throws {
        let last16 = try WALSegmentName(parsing: "0000000100000000000000FF")
        #expect(last16.next(mib16).fileName == "000000010000000100000000")
        #expect(try WALSegmentName(parsing: "000000010000000000000001").next(mib16).fileName == "000000010000000000000002")
        let last64 = try WALSegmentName(parsing: "00000001000000000000003F")
        #expect(last64.next(mib64).fileName == "000000010000000100000000")
        let last1G = try WALSegmentName(parsing: "00000003000000AA00000003")
        #expect(last1G.next(gib1).fileName == "00000003000000AB00000000")
        #expect(last1G.next(gib1).timeline == TimelineID(3))
    }

    @Test func segmentContainingAnLSN() throws {
        let lsn = try LSN(parsing: "1/C0FFEE0")
        let tl = TimelineID(5)
        #expect(WALSegmentName.segment(containing: lsn, timeline: tl, segmentSize: mib16).fileName == "00000005000000010000000C")
        #expect(WALSegmentName.segment(containing: lsn, timeline: tl, segmentSize: mib64).fileName == "000000050000000100000003")
        #expect(WALSegmentName.segment(containing: lsn, timeline: tl, segmentSize: gib1).fileName == "000000050000000100000000")
        // A segment's start LSN lies in the segment itself; the byte before it in the previous one.
        let name = try WALSegmentName(parsing: "000000050000000100000000")
        #expect(WALSegmentName.segment(containing: name.startLSN(mib16), timeline: tl, segmentSize: mib16) == name)
        let before = LSN(name.startLSN(mib16).rawValue - 1)
        #expect(WALSegmentName.segment(containing: before, timeline: tl, segmentSize: mib16).fileName == "0000000500000000000000FF")
    }

    @Test(arguments: [
        "", "00000001000000000000001", "0000000100000000000000011", "00000001000000000000000a",
        "0000000100000000000000XY", "000000000000000000000001", "00000001 000000000000001", "0000000100000000000000+1",
    ])
    func rejectsBadNames(_ text: String) {
        #expect(throws: WALError.self) { try WALSegmentName(parsing: text) }
    }

    @Test func ordersLikeFileNames() throws {
        let names = ["000000020000000000000001", "000000010000000100000000", "0000000100000000000000FF"]
        let sorted = try names.map { try WALSegmentName(parsing: $0) }.sorted().map(\.fileName)
        #expect(sorted == names.sorted())
    }
}
