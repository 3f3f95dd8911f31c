import Testing
@testable import PITRRestore
@testable import PITRWAL

/// The planner over a repository a pg_upgrade left with two clusters: a target only one cluster
/// reaches goes to it, one both reach is refused naming them, and --cluster or --backup choose.
@Suite struct ClusterChoiceTests {
    /// 15: backup at 10:00 (segments 2-3), WAL to segment 6, commits at 10:30 and 11:00.
    /// 18 (its LSNs continue, as pg_upgrade's do): backup at 12:00 (segments 8-9), WAL to 11, a commit at 12:30.
    static func upgraded() throws -> (old: PlannerRepository, new: PlannerRepository, locator: TestEventLocator) {
        let old = try PlannerRepository()
        try old.addBackup("o1", start: "0/200028", stop: "0/300100", stopTime: "2026-11-27T10:00:00Z")
        try old.archive(timeline: 1, 2...6)
        let new = try PlannerRepository(beside: old, identity: ClusterIdentity(majorVersion: 18, systemIdentifier: 7_400_000_000_000_000_002))
        try new.addBackup("n1", start: "0/800028", stop: "0/900100", stopTime: "2026-11-27T12:00:00Z")
        try new.archive(timeline: 1, 8...11)
        let locator = TestEventLocator()
        locator.add("0/400100", time: "2026-11-27 10:30:00+00", xid: 40)
        locator.add("0/600100", time: "2026-11-27 11:00:00+00", xid: 60)
        locator.add("0/A00100", time: "2026-11-27 12:30:00+00", xid: 100)
        return (old, new, locator)
    }

    @Test func aTargetOnlyOneClusterReachesGoesToIt() throws {
        let (old, _, locator) = try Self.upgraded()
        let before = try old.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 10:45:00+00"))))
        #expect(before.backup.name == "o1" && before.stop?.xid == 60)
        let after = try old.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 12:15:00+00"))))
        #expect(after.backup.name == "n1" && after.stop?.xid == 100)
        #expect(try old.planner(locator).plan(RestoreRequest(target: .xid(40))).backup.name == "o1")
    }

    @Test func aTargetBothReachIsRefusedUntilOneIsChosen() throws {
        let (old, new, locator) = try Self.upgraded()
        let oldID = old.identity.archiveID, newID = new.identity.archiveID
        let error = #expect(throws: RestorePlanError.self) { try old.planner(locator).plan(RestoreRequest(target: .latest)) }
        #expect(error == .ambiguousCluster(target: RecoveryTarget.latest.text, clusters: [oldID, newID]))
        #expect(error?.description.contains("add --cluster \(oldID) or --cluster \(newID) to pick one") == true)
        #expect(try old.planner(locator).plan(RestoreRequest(target: .latest, cluster: old.identity)).backup.name == "o1")
        #expect(try old.planner(locator).plan(RestoreRequest(target: .latest, cluster: new.identity)).backup.name == "n1")
        #expect(try old.planner(locator).plan(RestoreRequest(target: .latest, backupName: "o1")).backup.name == "o1")
        #expect(throws: RestorePlanError.backupOfAnotherCluster(name: "o1", cluster: oldID, requested: newID)) {
            try old.planner(locator).plan(RestoreRequest(target: .latest, backupName: "o1", cluster: new.identity))
        }
        let stranger = ClusterIdentity(majorVersion: 16, systemIdentifier: 5)
        #expect(throws: RestorePlanError.unknownCluster("16-5", known: [oldID, newID])) {
            try old.planner(locator).plan(RestoreRequest(target: .latest, cluster: stranger))
        }
    }

    @Test func aTargetNoClusterReachesIsExplainedByTheLikelyOne() throws {
        let (old, _, locator) = try Self.upgraded()
        let error = #expect(throws: RestorePlanError.self) {
            try old.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 13:00:00+00"))))
        }
        guard case .targetAfterArchivedWAL = error else { Issue.record("\(String(describing: error))"); return }
    }

    /// A backup of a major this build does not know is refused by name when chosen, and set aside (never
    /// guessed at) when another cluster can serve the target.
    @Test func aClusterOfAnUnsupportedMajorIsNamedAndSetAside() throws {
        let (old, _, locator) = try Self.upgraded()
        let future = try PlannerRepository(beside: old, identity: ClusterIdentity(majorVersion: 19, systemIdentifier: 9))
        try future.addBackup("f1", start: "0/C00028", stop: "0/D00100", stopTime: "2026-11-27T14:00:00Z")
        try future.archive(timeline: 1, 12...13)
        let message = "PostgreSQL 19 (from backup f1) is not supported by this build of tailtown-pitr, which supports PostgreSQL 15 to 18"
        let chosen = #expect(throws: WALError.self) { try old.planner(locator).plan(RestoreRequest(target: .latest, backupName: "f1")) }
        #expect(chosen?.description == message)
        let byCluster = #expect(throws: WALError.self) { try old.planner(locator).plan(RestoreRequest(target: .latest, cluster: future.identity)) }
        #expect(byCluster?.description == message)
        let before = try old.planner(locator).plan(RestoreRequest(target: .time(try PostgresTimestamp(parsing: "2026-11-27 10:45:00+00"))))
        #expect(before.backup.name == "o1")
    }
}
