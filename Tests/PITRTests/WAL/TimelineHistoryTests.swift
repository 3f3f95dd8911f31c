import Testing
@testable import PITRWAL

@Suite struct TimelineHistoryTests {
    private func parse(_ text: String, timeline: UInt32 = 3) throws -> TimelineHistory {
        try TimelineHistory(parsing: Array(text.utf8), timeline: TimelineID(timeline), file: "00000003.history")
    }

    @Test func parsesWhatPostgreSQLWrites() throws {
        let history = try parse("""
            1\t0/3000060\tno recovery target specified

            # a comment
            2\t0/50000D8\tbefore 2026-11-27 00:00:00+00

            """)
        #expect(history.timeline == TimelineID(3))
        #expect(history.entries == [
            .init(parent: TimelineID(1), switchpoint: LSN(0x300_0060), reason: "no recovery target specified"),
            .init(parent: TimelineID(2), switchpoint: LSN(0x500_00D8), reason: "before 2026-11-27 00:00:00+00"),
        ])
        #expect(history.lineage == [TimelineID(1), TimelineID(2), TimelineID(3)])
    }

    @Test func findsTheTimelineOfAnLSN() throws {
        let history = try parse("1\t0/3000060\tx\n2\t0/50000D8\ty\n")
        #expect(history.timeline(containing: LSN(0x100_0000)) == TimelineID(1))
        #expect(history.timeline(containing: LSN(0x300_005F)) == TimelineID(1))
        #expect(history.timeline(containing: LSN(0x300_0060)) == TimelineID(2))
        #expect(history.timeline(containing: LSN(0x500_00D8)) == TimelineID(3))
        #expect(history.timeline(containing: LSN(UInt64.max)) == TimelineID(3))
    }

    @Test func acceptsAMissingReasonAndAnEmptyFile() throws {
        #expect(try parse("1\t0/3000060\n", timeline: 2).entries.first?.reason == "")
        #expect(try parse("", timeline: 1).entries.isEmpty)
        #expect(try parse("  1\t0/3000060\tx\r\n", timeline: 2).entries.first?.reason == "x")
    }

    @Test(arguments: [
        ("1 0/3000060 reason\n", 1),
        ("x\t0/3000060\treason\n", 1),
        ("0\t0/3000060\treason\n", 1),
        ("1\t3000060\treason\n", 1),
        ("1\t0/3000060\ta\n\n1\t0/4000000\tb\n", 3),
        ("2\t0/3000060\ta\n1\t0/4000000\tb\n", 2),
        ("1\t0/3000060\ta\n3\t0/4000000\tb\n", 2),
        ("-1\t0/3000060\ta\n", 1),
    ] as [(String, Int)])
    func rejectsMalformedContent(_ text: String, line: Int) throws {
        let error = #expect(throws: WALError.self) { try parse(text) }
        guard case .malformedHistory(let file, let errorLine, _) = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
        #expect(file == "00000003.history")
        #expect(errorLine == line)
        #expect(error?.description.hasPrefix("timeline history file '00000003.history' line \(line): ") == true)
    }
}
