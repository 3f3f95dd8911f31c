import Testing
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRWAL

@Suite struct TimelineTreeTests {
    static func history(_ timeline: UInt32, _ text: String) throws -> TimelineHistory {
        try TimelineHistory(parsing: Array(text.utf8), timeline: TimelineID(timeline), file: "\(timeline).history")
    }

    /// 1 -> 2 at 0/500028 -> 3 at 0/700060, and 4 forked from 1 earlier, at 0/300000.
    static func forest() throws -> TimelineTree {
        TimelineTree(histories: [
            try history(2, "1\t0/500028\tpromoted\n"),
            try history(3, "1\t0/500028\tpromoted\n2\t0/700060\tpitr\n"),
            try history(4, "1\t0/300000\told pitr\n"),
        ])
    }

    @Test func aFreshClusterHasOnlyTimelineOne() {
        let tree = TimelineTree(histories: [])
        #expect(tree.timelines == [TimelineID(1)])
        #expect(tree.parent(of: TimelineID(1)) == nil)
        #expect(tree.latest(from: TimelineID(1), at: LSN(0x100)) == TimelineID(1))
        #expect(!tree.contains(TimelineID(2)))
    }

    @Test func parentsAndSwitchpointsComeFromTheHistoryFiles() throws {
        let tree = try Self.forest()
        #expect(tree.timelines.map(\.rawValue) == [1, 2, 3, 4])
        #expect(tree.parent(of: TimelineID(3))?.parent == TimelineID(2))
        #expect(tree.parent(of: TimelineID(3))?.switchpoint == LSN(0x700060))
        #expect(tree.parent(of: TimelineID(4))?.parent == TimelineID(1))
        #expect(tree.parent(of: TimelineID(1)) == nil)
    }

    @Test func aTimelineLeadsOnlyFromAncestorsBeforeTheirSwitchpoint() throws {
        let tree = try Self.forest()
        #expect(tree.leads(from: TimelineID(1), at: LSN(0x200000), to: TimelineID(3)))
        #expect(tree.leads(from: TimelineID(1), at: LSN(0x500028), to: TimelineID(2)))
        #expect(!tree.leads(from: TimelineID(1), at: LSN(0x500029), to: TimelineID(2)))
        #expect(!tree.leads(from: TimelineID(2), at: LSN(0x600000), to: TimelineID(4)))
        #expect(!tree.leads(from: TimelineID(3), at: LSN(0x800000), to: TimelineID(2)))
        #expect(!tree.leads(from: TimelineID(1), at: LSN(0), to: TimelineID(9)))
    }

    @Test func latestIsTheHighestTimelineThroughThePoint() throws {
        let tree = try Self.forest()
        #expect(tree.latest(from: TimelineID(1), at: LSN(0x200000)) == TimelineID(4))
        #expect(tree.latest(from: TimelineID(1), at: LSN(0x400000)) == TimelineID(3))
        #expect(tree.latest(from: TimelineID(1), at: LSN(0x600000)) == TimelineID(1))
        #expect(tree.descendants(of: TimelineID(1), at: LSN(0x400000)).map(\.rawValue) == [1, 2, 3])
    }

    @Test func aPathReadsTheSwitchpointSegmentFromTheNewTimeline() throws {
        let path = try #require(try Self.forest().path(to: TimelineID(3), segmentSize: PlannerRepository.segmentSize))
        #expect(path.timelines.map(\.rawValue) == [1, 2, 3])
        #expect(path.segments(from: LSN(0x300028), upTo: LSN(0x800000)).map(\.fileName) == [
            "000000010000000000000003", "000000010000000000000004", "000000020000000000000005",
            "000000020000000000000006", "000000030000000000000007"])
        #expect(path.timeline(at: LSN(0x500027)) == TimelineID(1))
        #expect(path.timeline(at: LSN(0x500028)) == TimelineID(2))
        let stretches = path.stretches(from: LSN(0x300028), upTo: LSN(0x750000))
        #expect(stretches.map(\.timeline.rawValue) == [1, 2, 3])
        #expect(stretches.map(\.start) == [LSN(0x300028), LSN(0x500028), LSN(0x700060)])
        #expect(stretches.map(\.end) == [LSN(0x500028), LSN(0x700060), LSN(0x750000)])
    }

    @Test func aPathStartingAfterTheSwitchHasOneStretch() throws {
        let path = try #require(try Self.forest().path(to: TimelineID(2), segmentSize: PlannerRepository.segmentSize))
        let stretches = path.stretches(from: LSN(0x600000), upTo: LSN(0x680000))
        #expect(stretches == [RestorePlan.Stretch(timeline: TimelineID(2), start: LSN(0x600000), end: LSN(0x680000))])
        #expect(path.segments(from: LSN(0x600000), upTo: LSN(0x600000)).isEmpty)
    }

    @Test func loadsFromTheArchiveListing() throws {
        let repository = try PlannerRepository()
        try repository.archiveHistory(2, [(1, "0/500028")])
        try repository.archive(timeline: 1, 1...4)
        let index = try ArchiveIndex.load(repository: repository.repository, identity: repository.identity)
        let tree = try TimelineTree.load(from: index)
        #expect(tree.timelines.map(\.rawValue) == [1, 2])
        #expect(tree.parent(of: TimelineID(2))?.switchpoint == LSN(0x500028))
    }
}
