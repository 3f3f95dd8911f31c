import Foundation
import Testing
@testable import PITRArchive
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

/// A missing file is a hole (wal-fetch stops recovery) only when the archive shows the cluster went
/// on past it; probes of what does not exist yet stay "not found".
@Suite struct ArchiveHolesTests {
    let log = Log(level: .error)

    /// Archives segments 1...last of timeline 1 of `fake` through wal-push, then removes the objects of `removed`.
    private func archive(_ fake: FakeDataDirectory, through last: UInt64, removing removed: [UInt64]) throws -> WALArchive {
        for number in 1...last {
            _ = try WALPush(repository: fake.repository(), options: ObjectOptions(compression: .lz4), log: log).push(path: fake.makeSegment(number))
        }
        let archive = WALArchive(repository: fake.repository(), identity: fake.identity)
        for number in removed { try FileSystem.remove(object(fake, archive, .segment(fake.name(number)))) }
        return archive
    }

    private func object(_ fake: FakeDataDirectory, _ archive: WALArchive, _ file: WALFileName) -> String {
        fake.repositoryRoot + "/" + archive.key(for: file)
    }

    /// Sets an object's modification time `seconds` into the past.
    private func age(_ path: String, by seconds: Int) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -Double(seconds))], ofItemAtPath: path)
    }

    private func history(_ timeline: UInt32, _ lines: String) throws -> TimelineHistory {
        try TimelineHistory(parsing: Array(lines.utf8), timeline: TimelineID(timeline), file: "\(timeline).history")
    }

    @Test func aMissingSegmentWithAnOlderLaterOneIsAHoleNamingBoth() throws {
        let fake = try FakeDataDirectory()
        let archive = try archive(fake, through: 5, removing: [3])
        try age(object(fake, archive, .segment(fake.name(4))), by: 120)
        let fetch = WALFetch(repository: fake.repository(), log: log, gapGrace: 60)
        let hole = #expect(throws: ArchiveHole.self) { try fetch.fetch(name: fake.name(3).fileName, to: fake.wal + "/RECOVERYXLOG") }
        #expect(hole?.missing == "file://" + object(fake, archive, .segment(fake.name(3))))
        #expect(hole?.description.contains(fake.name(4).fileName + " of the same timeline was stored at ") == true, "\(String(describing: hole))")
        #expect(hole?.description.contains("\n") == false)
        #expect(!FileSystem.exists(fake.wal + "/RECOVERYXLOG"))
        // Past the end of the archive: not found.
        #expect(try fetch.fetch(name: fake.name(6).fileName, to: fake.wal + "/RECOVERYXLOG") == .notFound)
    }

    @Test func withinTheGracePeriodAMissingSegmentIsOnlyLate() throws {
        let fake = try FakeDataDirectory()
        _ = try archive(fake, through: 5, removing: [3])
        // 4 and 5 were stored just now: 3 may be on its way (push-ahead stores N+1 a moment before N).
        #expect(try WALFetch(repository: fake.repository(), log: log, gapGrace: 60).fetch(name: fake.name(3).fileName, to: fake.wal + "/RECOVERYXLOG") == .notFound)
        #expect(throws: ArchiveHole.self) {
            try WALFetch(repository: fake.repository(), log: log, gapGrace: 0).fetch(name: fake.name(3).fileName, to: fake.wal + "/RECOVERYXLOG")
        }
    }

    @Test func aStandbyIsNeverStoppedByAHole() throws {
        let fake = try FakeDataDirectory()
        _ = try archive(fake, through: 5, removing: [3])
        try fake.write(fake.dataDirectory + "/standby.signal", [])
        #expect(try WALFetch(repository: fake.repository(), log: log, gapGrace: 0).fetch(name: fake.name(3).fileName, to: fake.wal + "/RECOVERYXLOG") == .notFound)
    }

    @Test func aNewerTimelinesHistoryThatWentOnPastTheSegmentMakesAHole() throws {
        let fake = try FakeDataDirectory()
        let archive = try archive(fake, through: 2, removing: [])
        // Timeline 2 forked from 1 inside segment 5 (1 MiB segments: 0/500000 is segment 5's start).
        try fake.write(fake.wal + "/00000002.history", Array("1\t0/580000\tno recovery target specified\n".utf8))
        _ = try WALPush(repository: fake.repository(), options: ObjectOptions(compression: .lz4), log: log).push(path: fake.wal + "/00000002.history")
        let holes = ArchiveHoles(archive: archive, grace: 60)
        // 3 and 4 were on timeline 1 before the fork: holes, whatever their neighbours' age.
        let hole = #expect(throws: ArchiveHole.self) { try holes.check(.segment(fake.name(3))) }
        #expect(hole?.description.contains("00000002.history says timeline 1 went on to 0/580000") == true, "\(String(describing: hole))")
        #expect(throws: ArchiveHole.self) { try holes.check(.segment(fake.name(4))) }
        // Segment 5 holds the switch: timeline 1's copy may end there (a .partial); 6 was never timeline 1's.
        try holes.check(.segment(fake.name(5)))
        try holes.check(.segment(fake.name(6)))
        // The next timeline's history is a probe.
        try holes.check(.history(TimelineID(3)))
    }

    @Test func theRuleForHistoriesAndNewerTimelines() throws {
        let fake = try FakeDataDirectory()
        let holes = ArchiveHoles(archive: WALArchive(repository: fake.repository(), identity: fake.identity), grace: 60)
        let now = UTCTime(secondsSinceEpoch: 1_800_000_000)
        func stored(_ file: WALFileName, secondsAgo: Int64) -> (WALFileName, StoredObject) {
            (file, StoredObject(key: "k", size: 1, lastModified: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - secondsAgo)))
        }
        let two = try history(2, "1\t0/580000\tfork\n")
        let three = try history(3, "1\t0/580000\tfork\n2\t0/A00000\tfork\n")
        func hole(_ missing: WALFileName, _ evidence: ArchiveHoles.Evidence) -> ArchiveHole? {
            holes.hole(missing, evidence: evidence, segmentSize: fake.segmentSize, now: now)
        }
        // The next history, with nothing after it: a probe.
        #expect(hole(.history(TimelineID(3)), .init(newerHistories: [])) == nil)
        // A history missing while a newer timeline's history descends from its timeline: a hole.
        #expect(hole(.history(TimelineID(2)), .init(newerHistories: [three]))?.evidence.contains("timeline 3 descends from timeline 2") == true)
        // A newer timeline begins at its switchpoint: asking it for an earlier segment is a probe, even with later ones stored.
        let laterOnTwo = Dictionary(uniqueKeysWithValues: [stored(.segment(fake.name(9, timeline: 2)), secondsAgo: 3600)])
        #expect(hole(.segment(fake.name(3, timeline: 2)), .init(timelineFiles: laterOnTwo, ownHistory: two)) == nil)
        #expect(hole(.segment(fake.name(7, timeline: 2)), .init(timelineFiles: laterOnTwo, ownHistory: two)) != nil)
        // A .partial later on the timeline shows it went on as well; one within the grace period does not yet.
        #expect(hole(.segment(fake.name(4)), .init(timelineFiles: Dictionary(uniqueKeysWithValues: [stored(.partial(fake.name(6)), secondsAgo: 61)]))) != nil)
        #expect(hole(.segment(fake.name(4)), .init(timelineFiles: Dictionary(uniqueKeysWithValues: [stored(.partial(fake.name(6)), secondsAgo: 59)]))) == nil)
        // A segment of a timeline that has none yet, and one past a timeline's end: probes.
        #expect(hole(.segment(fake.name(12, timeline: 3)), .init()) == nil)
        #expect(hole(.segment(fake.name(11, timeline: 2)), .init(timelineFiles: laterOnTwo, ownHistory: two, newerHistories: [three])) == nil)
        // Timeline 2 went on to 0/A00000 (segment 10) by timeline 3's history: its segment 8 is needed.
        #expect(hole(.segment(fake.name(8, timeline: 2)), .init(ownHistory: two, newerHistories: [three])) != nil)
    }
}
