import Testing
@testable import PITRBackup
@testable import PITRRestore
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL

/// The stretch logic of `verify --window` over synthetic verdicts (1 MiB segments: segment N starts at LSN 0/N00000).
@Suite struct WindowStretchesTests {
    static let size: WALSegmentSize = PlannerRepository.segmentSize
    /// 10:00 plus `minutes`.
    static func at(_ minutes: Int, seconds: Double = 0) -> PostgresTimestamp {
        PostgresTimestamp(unixSeconds: 1_795_773_600 + Int64(minutes * 60) + Int64(seconds), microseconds: Int64((seconds - seconds.rounded(.down)) * 1_000_000))
    }

    /// A scene: segments on timelines, each sound with commits 10:0N..10:NN (segment N's last commit at 10:00+N*10 min)
    /// unless a test overrides its verdict; backups given by start segment and stop segment.
    struct Scene {
        var archived: [TimelineID: [UInt64]] = [:]
        var verdicts: [WALSegmentName: SegmentVerdict] = [:]
        var histories: [TimelineHistory] = []
        var backups: [BackupDescriptor] = []
        var anchors: [String]?

        mutating func archive(_ timeline: UInt32, _ numbers: ClosedRange<UInt64>) {
            archived[TimelineID(timeline), default: []] += Array(numbers)
        }

        mutating func set(_ timeline: UInt32, _ number: UInt64, _ verdict: SegmentVerdict) {
            verdicts[WALSegmentName(timeline: TimelineID(timeline), number: number, segmentSize: size)] = verdict
        }

        mutating func history(_ timeline: UInt32, parent: UInt32, at switchpoint: UInt64) throws {
            histories.append(try TimelineHistory(parsing: Array("\(parent)\t\(LSN(switchpoint))\tno recovery target specified\n".utf8),
                                                 timeline: TimelineID(timeline), file: "test"))
        }

        /// A backup starting at 0/<start>00028 and stopping at 0/<stop>00100 at 10:00 + stop*10 min + 1 s.
        mutating func backup(_ name: String, start: UInt64, stop: UInt64, timeline: UInt32 = 1) {
            let moment = at(Int(stop) * 10, seconds: 1.5)
            backups.append(BackupDescriptor(
                name: name, label: "test", startLSN: LSN(start << 20 + 0x28), stopLSN: LSN(stop << 20 + 0x100),
                startTime: moment.utcTime, stopTime: moment.utcTime, stopMoment: moment,
                timeline: TimelineID(timeline), stopTimeline: TimelineID(timeline), systemIdentifier: 1, serverVersion: 150004,
                segmentSize: size.bytes, tablespaces: [], compression: .lz4, cipher: "none", keyID: "", objects: []))
        }

        func stretches() -> [WindowStretch] {
            let anchoring = backups.filter { anchors?.contains($0.name) ?? true }
            return WindowStretches(
                tree: TimelineTree(histories: histories), segmentSize: size, archived: archived, backups: backups, anchors: anchoring,
                windowStart: anchoring.map(WindowStretches.stopMoment).min(), historyObject: { "history \($0)" },
                verdict: { segment in
                    if let verdict = verdicts[segment] { return verdict }
                    guard archived[segment.timeline]?.contains(segment.number(size)) == true else { return .missing(object: "object \(segment.fileName)") }
                    let n = Int(segment.number(size))
                    return .sound(SegmentFacts(end: segment.next(size).startLSN(size), firstCommit: at(n * 10 - 9), lastCommit: at(n * 10)))
                }).stretches()
        }
    }

    static func proven(_ timeline: UInt32, _ start: UInt64, _ end: UInt64, _ from: PostgresTimestamp, _ to: PostgresTimestamp) -> WindowStretch {
        WindowStretch(timeline: TimelineID(timeline), start: LSN(start), end: LSN(end), startTime: from, endTime: to, cause: nil, object: nil)
    }

    /// Two backups (segments 2-3 and 5-6) and segments 2 to 9 on timeline 1.
    static func healthy() -> Scene {
        var scene = Scene()
        scene.archive(1, 2...9)
        scene.backup("b1", start: 2, stop: 3)
        scene.backup("b2", start: 5, stop: 6)
        return scene
    }

    @Test func aHealthyArchiveIsProvenFromTheOldestAnchorsStopToTheNewestCommit() {
        let stretches = Self.healthy().stretches()
        #expect(stretches == [Self.proven(1, 0x300100, 0xA00000, Self.at(30, seconds: 1.5), Self.at(90))])
        #expect(stretches[0].seconds == 3599)
        // The promise starts at the oldest backup that anchors the window, not at older ones kept for other reasons.
        var weekly = Self.healthy()
        weekly.anchors = ["b2"]
        #expect(weekly.stretches() == [Self.proven(1, 0x600100, 0xA00000, Self.at(60, seconds: 1.5), Self.at(90))])
    }

    @Test func aMissingSegmentSplitsTheWindowUntilTheNextBackupsStop() {
        var scene = Self.healthy()
        scene.archived[TimelineID(1)] = [2, 3, 5, 6, 7, 8, 9]
        let stretches = scene.stretches()
        #expect(stretches.count == 3)
        #expect(stretches[0] == Self.proven(1, 0x300100, 0x400000, Self.at(30, seconds: 1.5), Self.at(30)))
        #expect(stretches[1] == WindowStretch(timeline: TimelineID(1), start: LSN(0x400000), end: LSN(0x600100), startTime: Self.at(30),
                                              endTime: Self.at(60, seconds: 1.5), cause: "WAL segment 000000010000000000000004 is missing",
                                              object: "object 000000010000000000000004"))
        #expect(stretches[1].seconds == 1802)
        #expect(stretches[2] == Self.proven(1, 0x600100, 0xA00000, Self.at(60, seconds: 1.5), Self.at(90)))
    }

    @Test func anUnreadableSegmentAfterTheLastBackupCutsTheRestOfTheWindow() {
        var scene = Self.healthy()
        scene.set(1, 7, .bad(object: "object 7", reason: "WAL segment 7 is corrupt at LSN 0/712345: its CRC-32C is wrong"))
        let stretches = scene.stretches()
        #expect(stretches.map(\.isProven) == [true, false])
        #expect(stretches[0].end == LSN(0x700000) && stretches[0].endTime == Self.at(60))
        #expect(stretches[1].start == LSN(0x700000) && stretches[1].end == LSN(0xA00000))
        #expect(stretches[1].cause == "WAL segment 7 is corrupt at LSN 0/712345: its CRC-32C is wrong" && stretches[1].object == "object 7")
        #expect(stretches[1].startTime == Self.at(60) && stretches[1].endTime == Self.at(90))
    }

    @Test func aBackupsOwnBrokenWALLeavesItsStretchToTheOlderBackup() {
        var scene = Self.healthy()
        scene.set(1, 5, .bad(object: "object 5", reason: "cannot be decoded"))
        let stretches = scene.stretches()
        // b1's line breaks at segment 5, and b2 cannot serve at all: nothing after 0/500000 is proven.
        #expect(stretches.map(\.isProven) == [true, false])
        #expect(stretches[1].start == LSN(0x500000) && stretches[1].object == "object 5")
    }

    @Test func aSegmentEndingEarlyIsUnprovableUnlessItIsTheNewest() {
        var scene = Self.healthy()
        scene.set(1, 9, .sound(SegmentFacts(end: LSN(0x980000), firstCommit: Self.at(81), lastCommit: Self.at(88))))
        #expect(scene.stretches() == [Self.proven(1, 0x300100, 0x980000, Self.at(30, seconds: 1.5), Self.at(88))])
        scene.set(1, 8, .sound(SegmentFacts(end: LSN(0x880000), firstCommit: Self.at(71), lastCommit: Self.at(78))))
        let stretches = scene.stretches()
        #expect(stretches.map(\.isProven) == [true, false])
        #expect(stretches[1].start == LSN(0x800000))
        #expect(stretches[1].cause == "the readable WAL of segment 000000010000000000000008 ends at 0/880000, before its end, yet later segments follow")
    }

    @Test func eachTimelinesLegIsProvenAlongItsLine() throws {
        var scene = Self.healthy()
        scene.archived[TimelineID(1)] = [2, 3, 4, 5, 6, 7]
        try scene.history(2, parent: 1, at: 0x700028)
        scene.archive(2, 7...9)
        let stretches = scene.stretches()
        #expect(stretches.map(\.timeline) == [TimelineID(1), TimelineID(2)])
        #expect(stretches.allSatisfy { $0.isProven })
        #expect(stretches[0].start == LSN(0x300100) && stretches[0].end == LSN(0x800000))
        #expect(stretches[1].start == LSN(0x700028) && stretches[1].end == LSN(0xA00000))
        // A missing segment before the fork cuts both lines until b2's stop.
        scene.archived[TimelineID(1)] = [2, 3, 5, 6, 7]
        let cut = scene.stretches()
        #expect(cut.filter { !$0.isProven }.map(\.timeline) == [TimelineID(1)])
        #expect(cut.filter { !$0.isProven }.first?.end == LSN(0x600100))
    }

    @Test func aTimelineWithoutItsHistoryFileIsUnprovable() {
        var scene = Self.healthy()
        scene.archived[TimelineID(1)] = [2, 3, 4, 5, 6, 7]
        scene.archive(2, 7...9)
        let stretches = scene.stretches()
        #expect(stretches.count == 2)
        #expect(stretches[0].isProven && stretches[0].timeline == TimelineID(1))
        #expect(stretches[1] == WindowStretch(
            timeline: TimelineID(2), start: LSN(0x700000), end: LSN(0xA00000), startTime: Self.at(61), endTime: Self.at(90),
            cause: "timeline 2 has no history file: recovery cannot follow it; push it again from the server's pg_wal", object: "history 2"))
    }

    @Test func walNoBackupReachesIsUnprovableAndWALBeforeTheWindowIsLeftOut() {
        var scene = Scene()
        scene.archive(1, 2...9)
        scene.backup("b2", start: 5, stop: 6)
        try? scene.history(2, parent: 1, at: 0x400028)
        scene.archive(2, 4...5)
        let stretches = scene.stretches()
        // Timeline 2 forked before b2 (so b2 does not lead to it), and its WAL is older than the window: left out.
        #expect(stretches == [Self.proven(1, 0x600100, 0xA00000, Self.at(60, seconds: 1.5), Self.at(90))])
        // A newer timeline no kept backup leads to is promised, and unprovable.
        scene.archive(2, 6...12)
        let later = scene.stretches()
        #expect(later.last?.timeline == TimelineID(2) && later.last?.isProven == false)
        #expect(later.last?.cause == "no backup on the line of timeline 2 ends before it")
    }
}
