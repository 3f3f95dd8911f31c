import Testing
@testable import PITRRetention
@testable import PITRWAL

@Suite struct WALSegmentSizeTests {
    @Test func acceptsPowersOfTwoFromOneMiBToOneGiB() throws {
        for shift in 20...30 {
            let size = try WALSegmentSize(bytes: 1 << UInt64(shift))
            #expect(size.segmentsPerXLogID == 1 << UInt64(32 - shift))
        }
        #expect(WALSegmentSize.standard.bytes == 16 << 20)
        #expect(WALSegmentSize.standard.segmentsPerXLogID == 0x100)
        #expect(try WALSegmentSize(megabytes: 64).segmentsPerXLogID == 0x40)
        #expect(try WALSegmentSize(megabytes: 1024).segmentsPerXLogID == 4)
        #expect(WALSegmentSize.standard.description == "16 MiB")
    }

    @Test(arguments: [0, 1, 512 << 10, (1 << 20) + 1, 3 << 20, 48 << 20, 2 << 30, UInt64.max] as [UInt64])
    func rejectsOthers(_ bytes: UInt64) {
        #expect(throws: WALError.invalidSegmentSize(bytes)) { try WALSegmentSize(bytes: bytes) }
    }

    @Test func rejectsNonPositiveMegabytes() {
        #expect(throws: WALError.self) { try WALSegmentSize(megabytes: 0) }
        #expect(throws: WALError.self) { try WALSegmentSize(megabytes: -16) }
        #expect(throws: WALError.self) { try WALSegmentSize(megabytes: 2048) }
    }
}
