import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRSupport
@testable import PITRWAL

@Suite struct BackupTypeChoiceTests {
    static let now = UTCTime(iso8601: "2026-06-20T01:30:00Z")!
    static let server = ClusterIdentity(majorVersion: 17, systemIdentifier: 7)
    static let week: Int64 = 7 * 86_400

    /// A backup that started `age` seconds before `now` and stopped at `stop` on `timeline`.
    static func backup(_ name: String, age: Int64, stop: UInt64, timeline: UInt32 = 1, parent: String? = nil,
                       cluster: ClusterIdentity = server) -> BackupDescriptor {
        let start = UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - age)
        return BackupDescriptor(
            name: name, label: "", startLSN: LSN(stop - 0x100), stopLSN: LSN(stop), startTime: start,
            stopTime: UTCTime(secondsSinceEpoch: start.secondsSinceEpoch + 600), timeline: TimelineID(timeline),
            stopTimeline: TimelineID(timeline), systemIdentifier: cluster.systemIdentifier, serverVersion: cluster.majorVersion * 10000 + 2,
            segmentSize: 16 << 20, tablespaces: [], compression: .lz4, cipher: "none", keyID: "", objects: [],
            type: parent == nil ? .full : .incremental, parent: parent, detection: parent == nil ? nil : .summaries)
    }

    static func choose(_ request: BackupTypeChoice.Request, _ catalog: [BackupDescriptor], fullEvery: Int64 = week,
                       timeline: UInt32 = 1, history: [(UInt32, UInt64)] = [], server: ClusterIdentity = server) throws -> BackupTypeChoice {
        try BackupTypeChoice(request: request, fullEvery: fullEvery, catalog: catalog, server: server, timeline: TimelineID(timeline),
                             history: history.map { TimelineHistory.Entry(parent: TimelineID($0.0), switchpoint: LSN($0.1), reason: "") }, now: now)
    }

    @Test func theFirstBackupIsFullAndAnIncrementalHasNothingToStandOn() throws {
        let first = try Self.choose(.automatic, [])
        #expect(first.type == .full && first.parent == nil && first.reason == "full: no backup of this cluster (17-7) yet")
        #expect(throws: BackupError.noParent(reason: "no backup of this cluster (17-7) yet")) { try Self.choose(.incremental, []) }
        #expect("\(BackupError.noParent(reason: "no backup of this cluster (17-7) yet"))"
                == "an incremental backup needs a parent, and none can be one: no backup of this cluster (17-7) yet; take a full backup (--type full)")
        #expect(try Self.choose(.full, [Self.backup("F", age: 3600, stop: 0x5000000)]).reason == "full: asked for")
    }

    @Test func incrementalOnTheNewestUntilTheFullBackupIsDue() throws {
        let chain = [Self.backup("F", age: 2 * 86_400, stop: 0x3000000),
                     Self.backup("I", age: 86_400, stop: 0x5000000, parent: "F")]
        let next = try Self.choose(.automatic, chain)
        #expect(next.type == .incremental && next.parent?.name == "I")
        #expect(next.reason == "incremental on I: the last full backup F is 2d0h old, under TAILTOWN_FULL_EVERY=7d")

        let old = [Self.backup("F", age: 8 * 86_400, stop: 0x3000000), Self.backup("I", age: 86_400, stop: 0x5000000, parent: "F")]
        let due = try Self.choose(.automatic, old)
        #expect(due.type == .full && due.reason == "full: the last full backup F is 8d0h old, TAILTOWN_FULL_EVERY=7d")
        let asked = try Self.choose(.incremental, old)
        #expect(asked.type == .incremental && asked.parent?.name == "I" && asked.reason == "incremental on I: asked for; the last full backup F is 8d0h old")

        // Last week's full backup started a few seconds after this one's cron line: still due.
        #expect(try Self.choose(.automatic, [Self.backup("F", age: Self.week - 5, stop: 0x3000000)]).type == .full)
        #expect(try Self.choose(.automatic, [Self.backup("F", age: Self.week - 7200, stop: 0x3000000)]).type == .incremental)
        #expect(try Self.choose(.automatic, [Self.backup("F", age: 129_600 - 60, stop: 0x3000000)], fullEvery: 129_600).reason
                == "full: the last full backup F is 1d11h old, TAILTOWN_FULL_EVERY=36h")
        let always = try Self.choose(.automatic, chain, fullEvery: 0)
        #expect(always.type == .full && always.reason == "full: TAILTOWN_FULL_EVERY=0 makes every backup full")
        #expect(try Self.choose(.incremental, chain, fullEvery: 0).parent?.name == "I")
    }

    @Test func afterAMajorUpgradeTheFirstBackupIsFull() throws {
        let old = ClusterIdentity(majorVersion: 16, systemIdentifier: 5)
        let catalog = [Self.backup("OLD", age: 3600, stop: 0x9000000, cluster: old)]
        let choice = try Self.choose(.automatic, catalog)
        #expect(choice.type == .full && choice.reason == "full: the first backup after a major upgrade: no backup of 17-7 yet, only of 16-5")
        #expect(throws: BackupError.self) { try Self.choose(.incremental, catalog) }
        // Another cluster's newer backup is never a parent.
        let mixed = catalog + [Self.backup("F", age: 7200, stop: 0x3000000)]
        #expect(try Self.choose(.automatic, mixed).parent?.name == "F")
    }

    @Test func theParentLiesOnTheCurrentTimelinesHistory() throws {
        let a = Self.backup("A", age: 4 * 86_400, stop: 0x5000000)
        let b = Self.backup("B", age: 3 * 86_400, stop: 0x9000000, parent: "A") // on timeline 1 after 2 left it at 0/7000000
        let c = Self.backup("C", age: 2 * 86_400, stop: 0x9800000, timeline: 2, parent: "A")
        let d = Self.backup("D", age: 86_400, stop: 0xB000000, timeline: 2, parent: "C") // on timeline 2 after 3 left it at 0/A000000
        #expect(try Self.choose(.automatic, [a, b], timeline: 2, history: [(1, 0x7000000)]).parent?.name == "A")
        #expect(try Self.choose(.automatic, [a, b, c, d], timeline: 3, history: [(1, 0x7000000), (2, 0xA000000)]).parent?.name == "C")
        #expect(try Self.choose(.automatic, [a, b, c, d], timeline: 2, history: [(1, 0x7000000)]).parent?.name == "D")
        // Exactly at the switchpoint is still on the history.
        let edge = Self.backup("E", age: 86_400, stop: 0x7000000)
        #expect(try Self.choose(.automatic, [edge], timeline: 2, history: [(1, 0x7000000)]).parent?.name == "E")

        let stranded = try Self.choose(.automatic, [b], timeline: 2, history: [(1, 0x7000000)])
        #expect(stranded.type == .full)
        #expect(stranded.reason == "full: no backup of this cluster lies on timeline 2's history (the newest, B, stopped at 0/9000000 on timeline 1)")
        #expect(throws: BackupError.self) { try Self.choose(.incremental, [b], timeline: 2, history: [(1, 0x7000000)]) }
    }

    @Test func aBrokenChainIsNeverAParent() throws {
        let whole = Self.backup("F0", age: 3 * 86_400, stop: 0x3000000)
        let orphan = Self.backup("I2", age: 86_400, stop: 0x5000000, parent: "I1") // I1 was removed by hand
        #expect(try Self.choose(.automatic, [whole, orphan]).parent?.name == "F0")
        let none = try Self.choose(.automatic, [orphan])
        #expect(none.type == .full
                && none.reason == "full: no backup on timeline 1's history can be restored (I2: its chain needs I1, which is not in the repository)")
    }

    @Test func fullEveryIsADurationAndZeroMeansAlwaysFull() throws {
        #expect(DurationText.seconds("7d") == 604_800 && DurationText.seconds("36h") == 129_600 && DurationText.seconds("90m") == 5400)
        #expect(DurationText.seconds("0") == 0 && DurationText.seconds("45") == 45 && DurationText.seconds("45s") == 45)
        #expect(DurationText.seconds("-1d") == nil && DurationText.seconds("d") == nil && DurationText.seconds("1w") == nil && DurationText.seconds("7 d") == nil)
        #expect(DurationText.text(604_800) == "7d" && DurationText.text(129_600) == "36h" && DurationText.text(5400) == "90m"
                && DurationText.text(45) == "45s" && DurationText.text(0) == "0")
        func load(_ environment: [String: String]) throws -> Settings { try Settings.load(flags: [:], environment: environment, defaultFile: "/nonexistent") }
        #expect(try load([:]).fullBackupEvery() == 604_800)
        #expect(try load(["TAILTOWN_FULL_EVERY": "36h"]).fullBackupEvery() == 129_600)
        #expect(try load(["TAILTOWN_FULL_EVERY": "0"]).fullBackupEvery() == 0)
        #expect(throws: ConfigError.self) { try load(["TAILTOWN_FULL_EVERY": "weekly"]).fullBackupEvery() }
    }
}
