import Testing
@testable import PITRSupport
@testable import PITRWAL

@Suite struct TimelineIDTests {
    @Test func formatsAndParsesEightHexDigits() throws {
        #expect(TimelineID(1).hex == "00000001")
        #expect(TimelineID(0x1A).hex == "0000001A")
        #expect(TimelineID(0x1A).description == "26")
        #expect(try TimelineID(parsingHex: "0000001A") == TimelineID(26))
        #expect(try TimelineID(parsingHex: "FFFFFFFF").rawValue == UInt32.max)
        #expect(TimelineID(1).next() == TimelineID(2))
        #expect(TimelineID(1) < TimelineID(2))
    }

    @Test(arguments: ["", "1", "0000001a", "000000001", "00000000", "0000000G", " 0000001"])
    func rejectsBadText(_ text: String) {
        #expect(throws: WALError.invalidTimeline(text)) { try TimelineID(parsingHex: Substring(text)) }
    }
}
