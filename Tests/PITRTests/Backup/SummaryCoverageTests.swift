import Testing
@testable import PITRBackup
@testable import PITRWAL

/// Whether WAL summaries cover what an incremental on top of a parent needs, across timelines.
@Suite struct SummaryCoverageTests {
    static func lsn(_ value: UInt64) -> LSN { LSN(value) }
    static func summary(_ tli: UInt32, _ start: UInt64, _ end: UInt64) -> SummaryCoverage.Summary {
        SummaryCoverage.Summary(timeline: TimelineID(tli), start: LSN(start), end: LSN(end))
    }

    @Test func contiguousSummariesOnOneTimelineCover() {
        let coverage = SummaryCoverage(spans: SummaryCoverage.spans(current: TimelineID(1), history: nil),
                                       summaries: [Self.summary(1, 0x100, 0x300), Self.summary(1, 0x300, 0x500)], summarizedUpTo: LSN(0x500))
        #expect(coverage.gap(parent: "p", start: LSN(0x200), timeline: TimelineID(1)) == nil)
        // What the summarizer has not written yet is not asked for: the server waits for it.
        #expect(coverage.gap(parent: "p", start: LSN(0x600), timeline: TimelineID(1)) == nil)
    }

    @Test func aHoleOrAMissingStartIsNamed() throws {
        let spans = SummaryCoverage.spans(current: TimelineID(1), history: nil)
        let hole = SummaryCoverage(spans: spans, summaries: [Self.summary(1, 0x100, 0x300), Self.summary(1, 0x400, 0x500)], summarizedUpTo: LSN(0x500))
        let reason = try #require(hole.gap(parent: "p", start: LSN(0x200), timeline: TimelineID(1)))
        #expect(reason.contains("timeline 1") && reason.contains("first LSN without one is 0/300") && reason.contains("backup p"), "\(reason)")
        let late = SummaryCoverage(spans: spans, summaries: [Self.summary(1, 0x300, 0x500)], summarizedUpTo: LSN(0x500))
        #expect(late.gap(parent: "p", start: LSN(0x200), timeline: TimelineID(1))?.contains("first LSN without one is 0/200") == true)
    }

    @Test func everyTimelineSinceTheParentMustBeCovered() throws {
        let history = try TimelineHistory(parsing: Array("1\t0/800\tno recovery target specified\n".utf8), timeline: TimelineID(2), file: "00000002.history")
        let spans = SummaryCoverage.spans(current: TimelineID(2), history: history)
        #expect(spans == [.init(timeline: TimelineID(1), begin: .zero, end: LSN(0x800)), .init(timeline: TimelineID(2), begin: LSN(0x800), end: nil)])
        let covered = SummaryCoverage(spans: spans, summaries: [Self.summary(1, 0x100, 0x800), Self.summary(2, 0x800, 0x900)], summarizedUpTo: LSN(0x900))
        #expect(covered.gap(parent: "p", start: LSN(0x200), timeline: TimelineID(1)) == nil)
        let oldEndMissing = SummaryCoverage(spans: spans, summaries: [Self.summary(1, 0x100, 0x700), Self.summary(2, 0x800, 0x900)], summarizedUpTo: LSN(0x900))
        #expect(oldEndMissing.gap(parent: "p", start: LSN(0x200), timeline: TimelineID(1))?.contains("first LSN without one is 0/700") == true)
        let newMissing = SummaryCoverage(spans: spans, summaries: [Self.summary(1, 0x100, 0x800)], summarizedUpTo: LSN(0x900))
        #expect(newMissing.gap(parent: "p", start: LSN(0x200), timeline: TimelineID(1))?.contains("timeline 2") == true)
    }

    @Test func aParentOffTheServersHistoryIsNamed() throws {
        let history = try TimelineHistory(parsing: Array("1\t0/800\t\n".utf8), timeline: TimelineID(3), file: "00000003.history")
        let coverage = SummaryCoverage(spans: SummaryCoverage.spans(current: TimelineID(3), history: history), summaries: [], summarizedUpTo: .zero)
        #expect(coverage.gap(parent: "p", start: LSN(0x900), timeline: TimelineID(2))?.contains("not in the history of the server's timeline 3") == true)
        #expect(coverage.gap(parent: "p", start: LSN(0x900), timeline: TimelineID(1))?.contains("another branch of history") == true)
    }
}
