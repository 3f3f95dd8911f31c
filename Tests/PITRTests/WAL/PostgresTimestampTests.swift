import Testing
@testable import PITRWAL

@Suite struct PostgresTimestampTests {
    @Test func parsesRFC3339AndPostgresFormsToTheSameMoment() throws {
        let forms = ["2026-11-26T14:03:27.123Z", "2026-11-26 14:03:27.123+00", "2026-11-26T15:03:27.123+01:00",
                     "2026-11-26 09:03:27.123-05", "2026-11-26 19:33:27.123+0530"]
        let moments = try forms.map { try PostgresTimestamp(parsing: $0) }
        #expect(Set(moments).count == 1)
        #expect(moments[0].description == "2026-11-26 14:03:27.123+00")
        #expect(moments[0].unixSeconds == 1_795_701_807)
    }

    @Test func roundTripsMicroseconds() throws {
        let t = try PostgresTimestamp(parsing: "2000-01-01 00:00:00.000001+00")
        #expect(t.rawValue == 1)
        #expect(try PostgresTimestamp(parsing: t.description) == t)
        #expect(try PostgresTimestamp(parsing: "1999-12-31T23:59:59.5Z").rawValue == -500_000)
    }

    @Test func refusesATimeWithoutAZone() {
        #expect(throws: WALError.self) { try PostgresTimestamp(parsing: "2026-11-26 14:03:27") }
        #expect((try? PostgresTimestamp(parsing: "2026-11-26 14:03:27")) == nil)
        do {
            _ = try PostgresTimestamp(parsing: "2026-11-26 14:03:27")
        } catch {
            #expect("\(error)".contains("no time zone"))
        }
    }

    @Test func refusesImpossibleDates() {
        #expect((try? PostgresTimestamp(parsing: "2026-02-30T00:00:00Z")) == nil)
        #expect((try? PostgresTimestamp(parsing: "2026-13-01T00:00:00Z")) == nil)
        #expect((try? PostgresTimestamp(parsing: "2026-11-26T14:03:27Zjunk")) == nil)
    }
}
