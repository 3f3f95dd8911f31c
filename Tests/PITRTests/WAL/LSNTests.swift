import Testing
@testable import PITRWAL

@Suite struct LSNTests {
    @Test func printsLikePostgreSQL() {
        #expect(LSN(0x0000_0000_016B_3748).description == "0/16B3748")
        #expect(LSN(0).description == "0/0")
        #expect(LSN(high: 0xAB, low: 0xFF00_0028).description == "AB/FF000028")
        #expect(LSN(UInt64.max).description == "FFFFFFFF/FFFFFFFF")
    }

    @Test(arguments: ["0/0", "0/16B3748", "1/0", "AB/FF000028", "FFFFFFFF/FFFFFFFF", "16/B374D848"])
    func roundTrips(_ text: String) throws {
        #expect(try LSN(parsing: text).description == text)
    }

    @Test func parsesPaddedAndLowercaseInput() throws {
        #expect(try LSN(parsing: "0/016b3748") == LSN(0x16B_3748))
        #expect(try LSN(parsing: "00000001/00000000").rawValue == 1 << 32)
        #expect(try LSN(parsing: "1/2").high == 1)
        #expect(try LSN(parsing: "1/2").low == 2)
    }

    @Test(arguments: ["", "/", "0/", "/0", "0", "0/0/0", "G/0", "0/1G", " 0/0", "0/0 ", "123456789/0", "0/123456789", "-1/0", "0x1/0"])
    func rejectsBadInput(_ text: String) {
        #expect(throws: WALError.invalidLSN(text)) { try LSN(parsing: text) }
    }

    @Test func orders() {
        #expect(LSN(high: 0, low: 0xFFFF_FFFF) < LSN(high: 1, low: 0))
    }
}
