import Testing
@testable import PITRBackup
@testable import PITRRestore
@testable import PITRWAL

/// The planner on real file:// repositories (1 MiB segments: segment N starts at LSN 0/N00000).
@Suite struct RestorePlannerTests {
    /// Two backups on timeline 1 (segments 2-3 and 5-6) and segments 2 to 9 archived.
    static func twoBackups() throws -> PlannerRepository {
        let repository = try PlannerRepository()
        try repository.addBackup("b1", start: "0/200028", stop: "0/300100", stopTime: "2026-11-27T10:00:00Z", storedBytes: 1000)
        try repository.addBackup("b2", start: "0/500028", stop: "0/600100", stopTime: "2026-11-27T11:00:00Z", storedBytes: 3000)
        try repository.archive(timeline: 1, 2...9)
        return repository
    }

    static func names(_ segments: [WALSegmentName]) -> [String] { segments.map(\.fileName) }

    @Test func immediateStopsAtTheNewestBackupsEnd() throws {
        let repository = try Self.twoBackups()
        let plan = try repository.planner().plan(RestoreRequest(target: .immediate))
        #expect(plan.backup.name == "b2")
        #expect(Self.names(plan.segments) == ["000000010000000000000005", "000000010000000000000006"])
        #expect(plan.stop == RestorePlan.StopPoint(lsn: LSN(0x600100), time: nil, xid: nil))
        #expect(plan.targetTimeline == TimelineID(1))
        #expect(plan.backupStoredBytes == 3000)
        #expect(plan.walStoredBytes > 0)
        #expect(plan.histories.isEmpty)
    }

    /// An incremental serves as a full backup does, and its plan counts its whole chain's download; one whose chain is
    /// broken is left out (a warning) or, named, refused naming the missing parent.
    @Test func incrementalsServeThroughTheirChain() throws {
        let repository = try Self.twoBackups()
        try repository.addBackup("b3", start: "0/700028", stop: "0/700100", stopTime: "2026-11-27T12:00:00Z", storedBytes: 200, parent: "b2")
        let plan = try repository.planner().plan(RestoreRequest(target: .immediate))
        #expect(plan.backup.name == "b3" && plan.backupStoredBytes == 3200)
        #expect(plan.report.contains { $0.hasPrefix("backup: b3, incremental on b2, ended") })

        try repository.addBackup("b4", start: "0/800028", stop: "0/800100", stopTime: "2026-11-27T13:00:00Z", parent: "gone")
        #expect(try repository.planner().plan(RestoreRequest(target: .immediate)).backup.name == "b3")
        #expect(throws: BackupChainError.missingParent(backup: "b4", parent: "gone")) {
            try repository.planner().plan(RestoreRequest(target: .immediate, backupName: "b4"))
        }
    }

    @Test func latestRunsToTheLastArchivedSegment() throws {
        let repository = try Self.twoBackups()
        let locator = TestEventLocator()
        locator.add("0/900100", time: "2026-11-27 11:30:00+00", xid: 900)
        let plan = try repository.planner(locator).plan(RestoreRequest(target: .latest))
        #expect(plan.backup.name == "b2")
        #expect(plan.segments.first?.fileName == "000000010000000000000005")
        #expect(plan.segments.last?.fileName == "000000010000000000000009")
        #expect(plan.segments.count == 5)
        #expect(plan.path == [RestorePlan.Stretch(timeline: TimelineID(1), start: LSN(0x500028), end: LSN(0xA00000))])
        #expect(plan.newestRestorableTime == (try PostgresTimestamp(parsing: "2026-11-27 11:30:00+00")))
        let report = plan.report
        #expect(report.contains("backup: b2, ended 2026-11-27T11:00:00Z at 0/600100 on timeline 1"))
        #expect(report.contains("timeline path: 1 (recovery_target_timeline = 1)"))
        #expect(report.contains("WAL: 000000010000000000000005 to 000000010000000000000009, 5 segments"))
        #expect(report.contains { $0.hasPrefix("download: ") && $0.contains("backup 2.9 KiB") })
        #expect(report.contains { $0.hasPrefix("estimate: about 1 s (download at 100 MB/s") })
        #expect(report.contains("stop: the end of the archived WAL on timeline 1 at 0/A00000, newest commit 2026-11-27 11:30:00+00"))
    }

    @Test func latestFollowsTheNewestTimelineAndReadsTheSwitchSegmentFromIt() throws {
        let repository = try Self.twoBackups()
        try repository.archiveHistory(2, [(1, "0/700028")])
        try repository.removeSegment(timeline: 1, 8)
        try repository.removeSegment(timeline: 1, 9)
        try repository.archive(timeline: 2, 7...8)
        let plan = try repository.planner().plan(RestoreRequest(target: .latest))
        #expect(plan.targetTimeline == TimelineID(2))
        #expect(Self.names(plan.segments) == ["000000010000000000000005", "000000010000000000000006",
                                              "000000020000000000000007", "000000020000000000000008"])
        #expect(plan.histories == [TimelineID(2)])
        #expect(plan.report.contains("timeline path: 1 -> 2 at 0/700028 (recovery_target_timeline = 2)"))
        let current = try repository.planner().plan(RestoreRequest(target: .latest, timeline: .current))
        #expect(current.targetTimeline == TimelineID(1))
        #expect(current.segments.last?.fileName == "000000010000000000000007")
    }

    @Test func lsnPicksTheNewestBackupEndingBeforeIt() throws {
        let repository = try Self.twoBackups()
        let plan = try repository.planner().plan(RestoreRequest(target: .lsn(LSN(0x480000))))
        #expect(plan.backup.name == "b1")
        #expect(Self.names(plan.segments) == ["000000010000000000000002", "000000010000000000000003", "000000010000000000000004"])
        #expect(plan.stop?.lsn == LSN(0x480000))
        let later = try repository.planner().plan(RestoreRequest(target: .lsn(LSN(0x600100))))
        #expect(later.backup.name == "b2")
    }

    @Test func lsnBeforeTheOldestBackupNamesTheOldestRestorablePoint() throws {
        let repository = try Self.twoBackups()
        let error = #expect(throws: RestorePlanError.self) { try repository.planner().plan(RestoreRequest(target: .lsn(LSN(0x300000)))) }
        #expect(error?.description.contains("the oldest restorable point is 2026-11-27T10:00:00Z, at 0/300100 (the end of backup b1)") == true)
    }

    @Test func lsnAfterTheArchiveNamesTheNewestRestorablePoint() throws {
        let repository = try Self.twoBackups()
        let locator = TestEventLocator()
        locator.add("0/900100", time: "2026-11-27 11:30:00+00", xid: 900)
        let error = #expect(throws: RestorePlanError.self) { try repository.planner(locator).plan(RestoreRequest(target: .lsn(LSN(0xB00000)))) }
        #expect(error?.description == "target LSN 0/B00000 lies after the last archived WAL on timeline 1: the newest restorable point is 2026-11-27 11:30:00+00 (xid 900 at 0/900100); the archived WAL ends at 0/A00000; check that archiving works, or choose an earlier target or --to latest")
    }

    @Test func aMissingSegmentIsNamedWithTheRangeItCuts() throws {
        let repository = try Self.twoBackups()
        try repository.removeSegment(timeline: 1, 7)
        for request in [RestoreRequest(target: .latest), RestoreRequest(target: .lsn(LSN(0x800000)))] {
            let error = #expect(throws: RestorePlanError.self) { try repository.planner().plan(request) }
            guard case .walGap(let segment, _, let from, let to) = error else { Issue.record("\(String(describing: error))"); continue }
            #expect(segment == "000000010000000000000007")
            #expect(from == LSN(0x700000) && to == LSN(0x800000))
        }
        // A target before the gap needs none of it.
        #expect(try repository.planner().plan(RestoreRequest(target: .lsn(LSN(0x6FFFFF)))).segments.count == 2)
        try repository.removeSegment(timeline: 1, 6)
        let inBackup = #expect(throws: RestorePlanError.self) { try repository.planner().plan(RestoreRequest(target: .immediate)) }
        #expect(inBackup?.description.hasPrefix("WAL segment 000000010000000000000006 is missing from file://") == true)
        #expect(inBackup?.description.contains("cannot replay the WAL from 0/600000 to 0/800000") == true)
    }

    @Test func timePicksTheNewestBackupThatEndedBeforeIt() throws {
        let repository = try Self.twoBackups()
        let locator = TestEventLocator()
        locator.add("0/400100", time: "2026-11-27 10:30:00+00", xid: 700)
        locator.add("0/700100", time: "2026-11-27 11:10:00+00", xid: 710)
        locator.add("0/800100", time: "2026-11-27 11:20:00+00", xid: 720)
        let early = try repository.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 10:50:00+00"))))
        #expect(early.backup.name == "b1")
        #expect(early.stop == RestorePlan.StopPoint(lsn: LSN(0x700100), time: try PostgresTimestamp(parsing: "2026-11-27 11:10:00+00"), xid: 710))
        #expect(early.segments.last?.fileName == "000000010000000000000007")
        let late = try repository.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 11:15:00+00"))))
        #expect(late.backup.name == "b2")
        #expect(late.stop?.xid == 720)
        #expect(locator.searched.last?.first?.fileName == "000000010000000000000006")
        #expect(late.report.last == "stop: just before the first commit or abort after the target, the record at 0/800100, 2026-11-27 11:20:00+00, xid 720")
    }

    @Test func timeOutsideTheArchiveNamesTheRestorableRange() throws {
        let repository = try Self.twoBackups()
        let locator = TestEventLocator()
        locator.add("0/700100", time: "2026-11-27 11:10:00+00", xid: 710)
        let before = #expect(throws: RestorePlanError.self) {
            try repository.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27T10:00:00.5Z"))))
        }
        #expect(before?.description.hasPrefix("target 2026-11-27 10:00:00.5+00 lies before the end of the oldest usable backup: the oldest restorable point is 2026-11-27T10:00:00Z") == true)
        let after = #expect(throws: RestorePlanError.self) {
            try repository.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27T12:00:00Z"))))
        }
        #expect(after?.description.contains("the newest restorable point is 2026-11-27 11:10:00+00 (xid 710 at 0/700100)") == true)
    }

    @Test func xidAndRestorePointAreSearchedAfterEachBackupNewestFirst() throws {
        let repository = try Self.twoBackups()
        let locator = TestEventLocator()
        locator.add("0/400100", time: "2026-11-27 10:30:00+00", xid: 700)
        locator.add("0/800100", time: "2026-11-27 11:20:00+00", point: "before-upgrade")
        let xid = try repository.planner(locator).plan(RestoreRequest(target: .xid(700)))
        #expect(xid.backup.name == "b1" && xid.stop?.xid == 700)
        // After the newest backup first, then after the older one.
        #expect(locator.searched.map { $0.first?.fileName } == ["000000010000000000000006", "000000010000000000000003"])
        let name = try repository.planner(locator).plan(RestoreRequest(target: .name("before-upgrade")))
        #expect(name.backup.name == "b2" && name.stop?.lsn == LSN(0x800100) && name.stop?.xid == nil)
        let unknown = #expect(throws: RestorePlanError.self) { try repository.planner(locator).plan(RestoreRequest(target: .name("nope"))) }
        #expect(unknown == .unknownRestorePoint(name: "nope", timeline: TimelineID(1), after: LSN(0x300100)))
        let noXid = #expect(throws: RestorePlanError.self) { try repository.planner(locator).plan(RestoreRequest(target: .xid(5))) }
        #expect(noXid == .transactionNotFound(xid: 5, timeline: TimelineID(1), after: LSN(0x300100)))
    }

    @Test func aTimeOnTwoForksIsRefusedUnlessATimelineIsChosen() throws {
        // Timeline 2 forked from 1 at 0/500028 (10:20); timeline 1 went on and was archived too.
        let repository = try PlannerRepository()
        try repository.addBackup("b1", start: "0/200028", stop: "0/300100", stopTime: "2026-11-27T10:00:00Z")
        try repository.archive(timeline: 1, 2...8)
        try repository.archiveHistory(2, [(1, "0/500028")])
        try repository.archive(timeline: 2, 5...7)
        let locator = TestEventLocator()
        locator.add("0/400100", time: "2026-11-27 10:10:00+00", xid: 700, on: [1])
        locator.add("0/500010", time: "2026-11-27 10:19:00+00", xid: 701, on: [1, 2])
        locator.add("0/600100", time: "2026-11-27 10:30:00+00", xid: 702, on: [1])
        locator.add("0/610100", time: "2026-11-27 10:40:00+00", xid: 802, on: [2])
        let planner = repository.planner(locator)
        let eleven = try PostgresTimestamp(parsing: "2026-11-27 10:25:00+00")
        let error = #expect(throws: RestorePlanError.self) { try planner.plan(RestoreRequest(target: .time(eleven))) }
        #expect(error == .ambiguousTimeline(target: "2026-11-27 10:25:00+00", timelines: [TimelineID(1), TimelineID(2)]))
        #expect(error?.description.contains("add --timeline 1 or --timeline 2") == true)
        let one = try planner.plan(RestoreRequest(target: .time(eleven), timeline: .number(TimelineID(1))))
        #expect(one.targetTimeline == TimelineID(1) && one.stop?.xid == 702)
        let two = try planner.plan(RestoreRequest(target: .time(eleven), timeline: .number(TimelineID(2))))
        #expect(two.targetTimeline == TimelineID(2) && two.stop?.xid == 802)
        #expect(two.segments.map(\.fileName).contains("000000020000000000000005"))
        #expect(!two.segments.map(\.fileName).contains("000000010000000000000005"))
        // An explicit --timeline latest is a choice too: the newest timeline.
        let latest = try planner.plan(RestoreRequest(target: .time(eleven), timeline: .latest))
        #expect(latest.targetTimeline == TimelineID(2) && latest.stop?.xid == 802)
        // Before the fork both lines agree: no question, the newest timeline.
        let early = try planner.plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 10:15:00+00"))))
        #expect(early.targetTimeline == TimelineID(2) && early.stop?.xid == 701)
    }

    @Test func aTimeWithinTheSecondAfterABackupsEndIsPlannedFromItsStopMoment() throws {
        // b2 ended at 11:00:00.250 (its stop-time field keeps whole seconds: 11:00:00).
        let repository = try PlannerRepository()
        try repository.addBackup("b1", start: "0/200028", stop: "0/300100", stopTime: "2026-11-27T10:00:00Z")
        try repository.addBackup("b2", start: "0/500028", stop: "0/600100", stopTime: "2026-11-27T11:00:00Z",
                                 stopMoment: "2026-11-27 11:00:00.25+00")
        try repository.archive(timeline: 1, 2...8)
        let locator = TestEventLocator()
        locator.add("0/400100", time: "2026-11-27 10:30:00+00", xid: 600)
        locator.add("0/600200", time: "2026-11-27 11:00:00.6+00", xid: 700)
        let target = try PostgresTimestamp(parsing: "2026-11-27 11:00:00.5+00")
        let plan = try repository.planner(locator).plan(RestoreRequest(target: .time(target)))
        #expect(plan.backup.name == "b2")
        #expect(plan.stop?.xid == 700)
        // Before its stop moment, within the same second, the older backup serves.
        let before = try repository.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 11:00:00.1+00"))))
        #expect(before.backup.name == "b1")
    }

    @Test func aDescriptorWithoutAStopMomentCountsAsEndedWhenItsSecondIsOver() throws {
        let repository = try PlannerRepository()
        try repository.addBackup("b1", start: "0/200028", stop: "0/300100", stopTime: "2026-11-27T10:00:00Z")
        try repository.archive(timeline: 1, 2...5)
        let locator = TestEventLocator()
        locator.add("0/400100", time: "2026-11-27 10:00:01.5+00", xid: 600)
        let within = #expect(throws: RestorePlanError.self) {
            try repository.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 10:00:00.5+00"))))
        }
        #expect(within == .targetBeforeOldestBackup(target: "2026-11-27 10:00:00.5+00",
                                                    oldestRestorable: "2026-11-27T10:00:00Z, at 0/300100 (the end of backup b1)"))
        let after = try repository.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 10:00:01+00"))))
        #expect(after.backup.name == "b1" && after.stop?.xid == 600)
    }

    @Test func anLSNOnTwoForksIsRefusedUnlessATimelineIsChosen() throws {
        // Timeline 2 forked from 1 at 0/500028; both lines were archived past it, timeline 1 further.
        let repository = try PlannerRepository()
        try repository.addBackup("b1", start: "0/200028", stop: "0/300100", stopTime: "2026-11-27T10:00:00Z")
        try repository.archive(timeline: 1, 2...9)
        try repository.archiveHistory(2, [(1, "0/500028")])
        try repository.archive(timeline: 2, 5...7)
        let planner = repository.planner()
        let error = #expect(throws: RestorePlanError.self) { try planner.plan(RestoreRequest(target: .lsn(LSN(0x600100)))) }
        #expect(error == .ambiguousTimeline(target: "LSN 0/600100", timelines: [TimelineID(1), TimelineID(2)]))
        #expect(error?.description.contains("add --timeline 1 or --timeline 2") == true)
        let one = try planner.plan(RestoreRequest(target: .lsn(LSN(0x600100)), timeline: .number(TimelineID(1))))
        #expect(one.targetTimeline == TimelineID(1))
        #expect(Self.names(one.segments).last == "000000010000000000000006")
        let two = try planner.plan(RestoreRequest(target: .lsn(LSN(0x600100)), timeline: .number(TimelineID(2))))
        #expect(two.targetTimeline == TimelineID(2))
        #expect(Self.names(two.segments).suffix(2) == ["000000020000000000000005", "000000020000000000000006"])
        // --timeline latest is a choice too.
        #expect(try planner.plan(RestoreRequest(target: .lsn(LSN(0x600100)), timeline: .latest)).targetTimeline == TimelineID(2))
        // Before the fork both lines hold the same WAL: no question.
        #expect(try planner.plan(RestoreRequest(target: .lsn(LSN(0x480000)))).targetTimeline == TimelineID(2))
        // Past the end of timeline 2's archive only timeline 1 reaches it.
        #expect(try planner.plan(RestoreRequest(target: .lsn(LSN(0x880000)))).targetTimeline == TimelineID(1))
    }

    @Test func backupOverrideAndTimelineErrors() throws {
        let repository = try Self.twoBackups()
        let unknown = #expect(throws: RestorePlanError.self) { try repository.planner().plan(RestoreRequest(target: .immediate, backupName: "b9")) }
        #expect(unknown == .unknownBackup(name: "b9", available: ["b1", "b2"]))
        let chosen = try repository.planner().plan(RestoreRequest(target: .lsn(LSN(0x700000)), backupName: "b1"))
        #expect(chosen.backup.name == "b1")
        let late = #expect(throws: RestorePlanError.self) { try repository.planner().plan(RestoreRequest(target: .lsn(LSN(0x400000)), backupName: "b2")) }
        #expect(late?.description == "backup b2 cannot reach the target: it ends at 0/600100, after the target LSN 0/400000; leave out --backup to let the planner choose")
        let missing = #expect(throws: RestorePlanError.self) { try repository.planner().plan(RestoreRequest(target: .latest, timeline: .number(TimelineID(3)))) }
        #expect(missing?.description.hasPrefix("timeline 3 is not in file://") == true)
        try repository.archiveHistory(2, [(1, "0/400000")])
        let forked = #expect(throws: RestorePlanError.self) {
            try repository.planner().plan(RestoreRequest(target: .latest, timeline: .number(TimelineID(2)), backupName: "b2"))
        }
        #expect(forked?.description.contains("it is not on the history of timeline 2") == true)
        let onTwo = try repository.planner().plan(RestoreRequest(target: .lsn(LSN(0x380000)), timeline: .number(TimelineID(2))))
        #expect(onTwo.backup.name == "b1" && onTwo.targetTimeline == TimelineID(2))
    }

    @Test func anEmptyRepositoryHasNoBackups() throws {
        let repository = try PlannerRepository()
        let error = #expect(throws: RestorePlanError.self) { try repository.planner().plan(RestoreRequest(target: .latest)) }
        #expect(error?.description.hasPrefix("repository file://") == true)
        #expect(error?.description.hasSuffix("holds no finished backup: run backup-push first") == true)
    }
}
