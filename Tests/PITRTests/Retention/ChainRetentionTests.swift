import Foundation
import Testing
@testable import PITRBackup
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRWAL

/// Descriptors for classification tests: `parent` makes an incremental on it.
func chainBackup(_ name: String, _ stop: String, parent: String? = nil, system: UInt64 = 1) -> BackupDescriptor {
    let time = UTCTime(iso8601: stop)!
    // Later backups start later in the WAL, as a parent must start before its child.
    let start = UInt64(time.secondsSinceEpoch) << 12
    return BackupDescriptor(
        name: name, label: "", startLSN: LSN(start), stopLSN: LSN(start + 0x100), startTime: time, stopTime: time,
        timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: system, serverVersion: 150004,
        segmentSize: 16 << 20, tablespaces: [], compression: .lz4, cipher: "none", keyID: "", objects: [],
        type: parent == nil ? .full : .incremental, parent: parent, detection: parent == nil ? nil : .blockCompare)
}

@Suite struct BackupChainsTests {
    @Test func followsParentsDownToTheFullBackupAndNamesTheBreak() {
        let f = chainBackup("F", "2026-06-01T01:00:00Z")
        let a = chainBackup("A", "2026-06-02T01:00:00Z", parent: "F")
        let b = chainBackup("B", "2026-06-03T01:00:00Z", parent: "A")
        let orphan = chainBackup("O", "2026-06-03T02:00:00Z", parent: "GONE")
        let onOrphan = chainBackup("P", "2026-06-04T02:00:00Z", parent: "O")
        let stranger = chainBackup("S", "2026-06-04T03:00:00Z", parent: "F", system: 2)
        let chains = BackupChains([f, a, b, orphan, onOrphan, stranger])
        #expect(chains.ancestors(of: b).map(\.name) == ["A", "F"])
        #expect(chains.length(of: b) == 3 && chains.length(of: f) == 1)
        #expect(chains.root(of: b)?.name == "F" && chains.root(of: f)?.name == "F")
        #expect(chains.problem(of: b) == nil && chains.isComplete(f))
        #expect(chains.problem(of: onOrphan) == .missing(ancestor: "GONE"))
        #expect(chains.ancestors(of: onOrphan).map(\.name) == ["O"] && chains.root(of: onOrphan) == nil)
        #expect("\(chains.problem(of: onOrphan)!)" == "its chain needs GONE, which is not in the repository")
        #expect(chains.problem(of: stranger)?.ancestor == "F" && "\(chains.problem(of: stranger)!)".contains("not a backup it can be built on"))
        // A loop of two has a parent that does not start before its child; one of one is a loop.
        let pair = BackupChains([chainBackup("X", "2026-06-01T01:00:00Z", parent: "Y"), chainBackup("Y", "2026-06-02T01:00:00Z", parent: "X")])
        #expect(pair.problem(of: chainBackup("X", "2026-06-01T01:00:00Z", parent: "Y"))?.ancestor == "Y")
        let own = chainBackup("Z", "2026-06-01T01:00:00Z", parent: "Z")
        #expect(BackupChains([own]).problem(of: own) == .loop(ancestor: "Z"))
    }
}

@Suite struct ChainRetentionTests {
    /// Worked by hand: now is Friday 2026-06-19, daily=3; a new full backup F3 today.
    @Test func keptIncrementalsKeepTheirChainUntilTheirOwnExpiry() {
        let backups = [
            chainBackup("F1", "2026-06-10T01:00:00Z"),
            chainBackup("I1", "2026-06-11T01:00:00Z", parent: "F1"),
            chainBackup("F2", "2026-06-17T01:00:00Z"),
            chainBackup("I2", "2026-06-18T01:00:00Z", parent: "F2"),
            chainBackup("F3", "2026-06-19T01:00:00Z"),
        ]
        let policy = RetentionPolicy(counts: [.daily: 3])
        let now = UTCTime(iso8601: "2026-06-19T03:00:00Z")!
        let classification = RetentionClassification(backups: backups, permanent: ["I1"], policy: policy, now: now)
        #expect(classification.classes(of: "F1") == [.parent] && classification.decision(of: "F1")?.dependents == ["I1"])
        #expect(classification.classes(of: "I1") == [.permanent])
        #expect(classification.classes(of: "F2") == [.daily, .parent])
        #expect(classification.classes(of: "I2") == [.daily] && classification.decision(of: "I2")?.anchorsWindow == true)
        #expect(classification.classes(of: "F3") == [.daily, .newest])
        #expect(classification.deleted.isEmpty)

        let needs = RepositoryNeeds(classification: classification, archives: [])
        #expect(needs.kept("F3")?.until == .never)
        #expect(needs.kept("I1")?.until == .never && needs.kept("F1")?.until == .never)
        // I2 is daily for 18 June: the third day counting from it is 20 June; its parent stays as long.
        #expect(needs.kept("I2")?.until == .at(UTCTime(iso8601: "2026-06-21T00:00:00Z")!))
        #expect(needs.kept("F2")?.until == .at(UTCTime(iso8601: "2026-06-21T00:00:00Z")!))

        // Two days later F2's own day is out, I2's not yet: F2 stays only as I2's parent.
        let later = RetentionClassification(backups: backups, permanent: ["I1"], policy: policy, now: UTCTime(iso8601: "2026-06-20T03:00:00Z")!)
        #expect(later.classes(of: "F2") == [.parent] && later.decision(of: "F2")?.isKeptOnlyAsParent == true)
        #expect(later.decision(of: "F2")?.anchorsWindow == false)
        let end = RetentionClassification(backups: backups, permanent: [], policy: policy, now: UTCTime(iso8601: "2026-06-21T00:00:00Z")!)
        #expect(end.kept.map(\.backup.name) == ["F3"])
    }

    /// An incremental whose full backup was deleted by hand: kept while the policy would keep it, never a window anchor,
    /// and the whole backups fill the classes as if it were not there.
    @Test func anUnrestorableChainIsNamedKeptAsThePolicySaysAndAnchorsNothing() {
        let backups = [
            chainBackup("F", "2026-06-17T01:00:00Z"),
            chainBackup("I", "2026-06-18T01:00:00Z", parent: "F"),
            chainBackup("O1", "2026-06-18T05:00:00Z", parent: "GONE"),
            chainBackup("O2", "2026-06-19T05:00:00Z", parent: "O1"),
        ]
        let classification = RetentionClassification(backups: backups, permanent: [], policy: RetentionPolicy(counts: [.daily: 2]),
                                                     now: UTCTime(iso8601: "2026-06-19T06:00:00Z")!)
        #expect(classification.classes(of: "I") == [.daily, .newest] && classification.decision(of: "I")?.anchorsWindow == true)
        #expect(classification.classes(of: "F") == [.parent])
        #expect(classification.classes(of: "O2") == [.daily, .newest])
        #expect(classification.decision(of: "O2")?.anchorsWindow == false)
        #expect(classification.decision(of: "O2")?.chainProblem == .missing(ancestor: "GONE"))
        // Counting every backup, O1 (05:00) is the newest of 18 June; it is O2's parent too.
        #expect(classification.classes(of: "O1") == [.daily, .parent])
        #expect(classification.deleted.isEmpty)
    }

    /// Parents that lead back to each other (only a damaged catalog has them): named, kept as the policy says, and no hang.
    @Test func aLoopOfParentsEnds() {
        let backups = [chainBackup("X", "2026-06-18T01:00:00Z", parent: "Y"), chainBackup("Y", "2026-06-19T01:00:00Z", parent: "X")]
        let classification = RetentionClassification(backups: backups, permanent: [], policy: RetentionPolicy(counts: [.daily: 2]),
                                                     now: UTCTime(iso8601: "2026-06-19T06:00:00Z")!)
        #expect(classification.kept.count == 2 && classification.kept.allSatisfy { $0.chainProblem != nil && !$0.anchorsWindow })
        let needs = RepositoryNeeds(classification: classification, archives: [])
        #expect(needs.kept("Y")?.until == .never && needs.kept("X")?.until != nil)
    }
}

@Suite struct ChainPlanTests {
    @Test func thePlanShowsTheDependenciesAndDeletesNoAncestorOfAKeptBackup() throws {
        let repo = try SyntheticRepository()
        try repo.addSegments(1...22)
        let f1 = try repo.addBackup(stoppedAt: "2026-06-01T01:00:00Z", start: 2, stop: 3)
        let i1 = try repo.addBackup(stoppedAt: "2026-06-02T01:00:00Z", start: 4, parent: f1)
        let i2 = try repo.addBackup(stoppedAt: "2026-06-03T01:00:00Z", start: 5, parent: i1)
        let f2 = try repo.addBackup(stoppedAt: "2026-06-08T01:00:00Z", start: 8)
        let i3 = try repo.addBackup(stoppedAt: "2026-06-18T01:00:00Z", start: 10, parent: f2)
        let i4 = try repo.addBackup(stoppedAt: "2026-06-19T02:00:00Z", start: 12, parent: i3)
        let i5 = try repo.addBackup(stoppedAt: "2026-06-20T01:00:00Z", start: 14, parent: i4)
        // A chain whose full backup was removed by hand.
        let gone = try repo.addBackup(stoppedAt: "2026-06-19T04:00:00Z", start: 16)
        let x1 = try repo.addBackup(stoppedAt: "2026-06-19T05:00:00Z", start: 18, parent: gone)
        try repo.storage.remove(keys: try repo.storage.list(prefix: "backups/\(gone.name)/"))
        let policy = RetentionPolicy(counts: [.daily: 2, .weekly: 1])
        let now = UTCTime(iso8601: "2026-06-20T03:00:00Z")!

        let plan = try RetentionPlanner(inventory: try RepositoryInventory.load(repository: repo.repository)).plan(policy: policy, now: now)
        let text = plan.text
        func line(_ backup: BackupDescriptor) -> String {
            text.split(separator: "\n").map { $0.replacingOccurrences(of: "  +", with: "  ", options: .regularExpression) }
                .first { $0.split(separator: " ").dropFirst().first.map(String.init) == backup.name } ?? ""
        }
        #expect(line(i5) == "keep  \(i5.name)  daily,weekly,newest, incremental on \(i4.name)")
        #expect(line(i4) == "keep  \(i4.name)  daily, parent of \(i5.name), incremental on \(i3.name)")
        #expect(line(i3) == "keep  \(i3.name)  parent of \(i4.name), incremental on \(f2.name)")
        #expect(line(f2) == "keep  \(f2.name)  parent of \(i3.name)")
        #expect(line(x1) == "keep  \(x1.name)  daily, incremental on \(gone.name); cannot be restored: its chain needs \(gone.name), which is not in the repository")
        #expect(line(i2).hasPrefix("delete  \(i2.name)  3 objects,") && line(i2).hasSuffix(", incremental on \(i1.name)"))
        #expect(plan.backups.map(\.backup.name) == [f1.name, i1.name, i2.name])
        #expect(text.contains("note    the policy alone would delete 2 of these backups, which kept incrementals need: they stay as parents so that no chain breaks"))
        #expect(plan.needs.kept(x1.name)?.decision.anchorsWindow == false)
        // F2 and I3 are kept only as parents: their own WAL, not the stretch between them; the window starts at I4.
        let deletedSegments = Set(plan.wal.flatMap { $0.files.compactMap { entry -> UInt64? in
            if case .segment(let segment) = entry.file { return segment.number(repo.segmentSize) }
            return nil
        } })
        #expect(deletedSegments == [1, 2, 3, 4, 5, 6, 7, 9, 11])

        try plan.execute(on: repo.storage, log: Log(level: .error))
        let after = try RepositoryInventory.load(repository: repo.repository)
        let chains = BackupChains(after.backups)
        #expect(after.backups.filter { !chains.isComplete($0) }.map(\.name) == [x1.name])
    }

    /// A WAL file is needed until the latest expiry of the kept backups that need it.
    @Test func walIsNeededUntilTheLastBackupNeedingItExpires() throws {
        let repo = try SyntheticRepository()
        try repo.addSegments(1...10)
        try repo.addHistory(timeline: 2, ancestors: [(1, 10)])
        let f1 = try repo.addBackup(stoppedAt: "2026-06-17T01:00:00Z", start: 2)
        _ = try repo.addBackup(stoppedAt: "2026-06-18T01:00:00Z", start: 5)
        _ = try repo.addBackup(stoppedAt: "2026-06-19T01:00:00Z", start: 8)
        let inventory = try RepositoryInventory.load(repository: repo.repository)
        let needs = inventory.needs(policy: RetentionPolicy(counts: [.daily: 3]), now: UTCTime(iso8601: "2026-06-19T03:00:00Z")!)
        func until(_ file: WALFileName) -> RetentionExpiry? { needs.until(file, of: repo.identity) }
        let day = { (text: String) in RetentionExpiry.at(UTCTime(iso8601: text)!) }
        #expect(until(.segment(repo.segment(1, 1))) == nil && !needs.needs(.segment(repo.segment(1, 1)), of: repo.identity))
        #expect(until(.segment(repo.segment(1, 3))) == day("2026-06-20T00:00:00Z"))
        #expect(until(.backup(repo.segment(1, 2), offset: 0x28)) == day("2026-06-20T00:00:00Z"))
        #expect(until(.segment(repo.segment(1, 6))) == day("2026-06-21T00:00:00Z"))
        #expect(until(.segment(repo.segment(1, 9))) == .never && until(.history(TimelineID(2))) == .never)
        #expect(needs.kept(f1.name)?.until == day("2026-06-20T00:00:00Z"))
    }
}
