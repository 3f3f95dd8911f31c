import Testing
@testable import PITRWAL

@Suite struct WALFileNameTests {
    @Test func parsesAllFourKinds() throws {
        let segment = try WALSegmentName(parsing: "00000001000000000000000A")
        #expect(try WALFileName(parsing: "00000001000000000000000A") == .segment(segment))
        #expect(try WALFileName(parsing: "00000001000000000000000A.partial") == .partial(segment))
        #expect(try WALFileName(parsing: "0000000C.history") == .history(TimelineID(12)))
        #expect(try WALFileName(parsing: "00000001000000000000000A.00000028.backup") == .backup(segment, offset: 0x28))
    }

    @Test(arguments: [
        "00000001000000000000000A", "00000001000000000000000A.partial", "0000000C.history",
        "00000001000000000000000A.00000028.backup", "0000000100000003000000FF.00FF0060.backup",
    ])
    func roundTrips(_ text: String) throws {
        let name = try WALFileName(parsing: text)
        #expect(name.fileName == text)
        #expect(name.description == text)
    }

    @Test func segmentAndTimeline() throws {
        #expect(try WALFileName(parsing: "0000000C.history").segment == nil)
        #expect(try WALFileName(parsing: "0000000C.history").timeline == TimelineID(12))
        let backup = try WALFileName(parsing: "00000002000000000000000A.00000028.backup")
        #expect(backup.segment?.fileName == "00000002000000000000000A")
        #expect(backup.timeline == TimelineID(2))
    }

    @Test(arguments: [
        "foo", "", ".history", "00000001.History", "0000000c.history", "00000000.history", "000000001.history",
        "00000001000000000000000a", "00000001000000000000000A.PARTIAL", "00000001000000000000000A.partial.gz",
        "00000001000000000000000A.28.backup", "00000001000000000000000A.0000002g.backup",
        "00000001000000000000000A.00000028", "00000001000000000000000A.", "archive_status",
        "00000001000000000000000A.00000028.backup.gz", ".00000001000000000000000A",
    ])
    func rejectsEverythingElse(_ text: String) {
        #expect(throws: WALError.notAWALFileName(text)) { try WALFileName(parsing: text) }
    }

    @Test func errorMessage() {
        #expect(WALError.notAWALFileName("foo").description == "'foo' is not a WAL segment, .partial, .history or .backup file name")
    }
}
