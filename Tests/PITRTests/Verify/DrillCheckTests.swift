import Testing
@testable import PITRVerify

@Suite struct DrillCheckTests {
    @Test func parsesQueriesWithAndWithoutExpectations() throws {
        let count = try DrillCheck(parsing: "SELECT count(*) FROM \"Customer\" => > 0")
        #expect(count.sql == "SELECT count(*) FROM \"Customer\"" && count.comparison == .greater && count.expected == "0")
        #expect(count.accepts("12") && !count.accepts("0"))
        let atLeast = try DrillCheck(parsing: "SELECT 10 => >= 10")
        #expect(atLeast.comparison == .greaterOrEqual && atLeast.accepts("10") && !atLeast.accepts("9.5"))
        // Numbers compare as numbers, not as text ("10" < "9" as text).
        #expect(try DrillCheck(parsing: "SELECT 10 => > 9").accepts("10"))
        #expect(try DrillCheck(parsing: "SELECT current_user => = postgres").accepts("postgres"))
        #expect(try DrillCheck(parsing: "SELECT 'a=>b' => != x").sql == "SELECT 'a=>b'")
        let boolean = try DrillCheck(parsing: "SELECT count(*) > 0 FROM t")
        #expect(boolean.sql == "SELECT count(*) > 0 FROM t" && boolean.accepts("t") && !boolean.accepts("f"))
        #expect(throws: DrillError.self) { try DrillCheck(parsing: "SELECT 1 => ~ 1") }
        #expect(throws: DrillError.self) { try DrillCheck(parsing: " => = 1") }
        #expect(throws: DrillError.self) { try DrillCheck(parsing: "   ") }
    }
}
