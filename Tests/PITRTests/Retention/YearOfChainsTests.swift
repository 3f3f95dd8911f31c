import Foundation
import Testing
@testable import PITRBackup
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRWAL

/// A year of nightly backups (a full every 7 days, an incremental on the previous backup every other night), a few
/// full backups removed by hand (one chain across a month's end), now and then a midday incremental on a backup that
/// is gone, a few backups marked permanent, `delete` applied every night with the default
/// policy; each night, and at the edges of periods, the classification is checked against a model written here
/// from the rules (docs/operations.md, "Retention", "Incremental chains") with Foundation's calendar.
@Suite struct YearOfChainsTests {
    static let removedByHand: [Int: Int] = [72: 70, 86: 84, 212: 210, 283: 280] // day of removal: the full backup's day
    static let permanent: Set<String> = ["d045", "d150", "d300"]

    @Test func deleteKeepsEveryChainAKeptBackupNeedsNightAfterNight() {
        let first = UTCTime(iso8601: "2026-01-05T01:30:00Z")!.secondsSinceEpoch
        var present: [BackupDescriptor] = []
        var previous: String?
        var onlyParents = 0, unrestorableKept = 0, checks = 0
        for day in 0..<365 {
            let stop = UTCTime(secondsSinceEpoch: first + Int64(day) * 86_400 + Int64(day % 5) * 60).iso8601
            let name = String(format: "d%03d", day)
            present.append(chainBackup(name, stop, parent: day % 7 == 0 ? nil : previous))
            previous = name
            if day % 50 == 25 {
                // Newer than the night's backup, on the same day: the whole one must keep the day's slot.
                let noon = UTCTime(secondsSinceEpoch: first + Int64(day) * 86_400 + 37_800).iso8601
                present.append(chainBackup(name + "-noon", noon, parent: "gone-\(day)"))
            }
            if let root = Self.removedByHand[day] { present.removeAll { $0.name == String(format: "d%03d", root) } }

            let nightly = UTCTime(secondsSinceEpoch: first + Int64(day) * 86_400 + 6_300)
            var extra: [UTCTime] = []
            // The last second of a Sunday, of a month, and the first of the next day.
            let end = UTCTime(secondsSinceEpoch: (first / 86_400 + Int64(day) + 1) * 86_400 - 1)
            if day % 7 == 6 || day % 30 == 29 { extra += [end, UTCTime(secondsSinceEpoch: end.secondsSinceEpoch + 1)] }
            for now in extra { checks += Self.check(present, now: now).checks }

            let result = Self.check(present, now: nightly)
            checks += result.checks
            onlyParents += result.classification.decisions.filter(\.isKeptOnlyAsParent).count
            unrestorableKept += result.classification.kept.filter { $0.chainProblem != nil }.count
            // delete --confirm: what was restorable stays restorable.
            let before = Set(present.filter(BackupChains(present).isComplete).map(\.name))
            present.removeAll { backup in result.classification.deleted.contains { $0.backup.name == backup.name } }
            let after = Set(present.filter(BackupChains(present).isComplete).map(\.name))
            #expect(before.intersection(present.map(\.name)) == after, "day \(day): delete broke a chain")
        }
        // The year exercised what it is for.
        #expect(onlyParents > 100 && unrestorableKept > 0 && checks > 500)
        let final = RetentionClassification(backups: present, permanent: Self.permanent, policy: .standard,
                                            now: UTCTime(secondsSinceEpoch: first + 365 * 86_400))
        #expect(final.classes(of: "d045") == [.permanent])
        #expect(["d042", "d043", "d044"].allSatisfy { final.classes(of: $0) == [.parent] })
    }

    /// Checks one classification against the model; returns it and the number of backups checked.
    static func check(_ backups: [BackupDescriptor], now: UTCTime) -> (classification: RetentionClassification, checks: Int) {
        let classification = RetentionClassification(backups: backups, permanent: permanent, policy: .standard, now: now)
        let byName = Dictionary(uniqueKeysWithValues: backups.map { ($0.name, $0) })
        func ancestors(_ backup: BackupDescriptor) -> (names: [String], whole: Bool) {
            var names: [String] = []
            var current = backup
            while let parent = current.parent {
                guard let found = byName[parent] else { return (names, false) }
                names.append(parent)
                current = found
            }
            return (names, true)
        }
        let whole = backups.filter { ancestors($0).whole }
        let broken = Set(backups.filter { !ancestors($0).whole }.map(\.name))
        let policyKeeps = gfs(whole, now: now).union(gfs(backups, now: now).intersection(broken))
        var expected = policyKeeps
        for name in policyKeeps { expected.formUnion(ancestors(byName[name]!).names) }

        let kept = Set(classification.kept.map(\.backup.name))
        let day = now.iso8601
        #expect(kept == expected, "\(day): kept \(kept.subtracting(expected).sorted()) too many, \(expected.subtracting(kept).sorted()) too few")
        for name in kept { #expect(Set(ancestors(byName[name]!).names).isSubset(of: kept), "\(day): an ancestor of \(name) is not kept") }
        let deleted = Set(classification.deleted.map(\.backup.name))
        let needed = Set(kept.flatMap { ancestors(byName[$0]!).names })
        #expect(deleted.isDisjoint(with: needed), "\(day): deletes \(deleted.intersection(needed).sorted()), which kept backups need")
        #expect(gfs(whole, now: now).isSubset(of: kept), "\(day): deletes a backup the GFS rules keep")
        for decision in classification.kept where decision.anchorsWindow { #expect(!broken.contains(decision.backup.name)) }

        let needs = RepositoryNeeds(classification: classification, archives: [])
        for keptBackup in needs.kept {
            #expect(keptBackup.until > .at(now), "\(day): \(keptBackup.backup.name) kept until \(keptBackup.until)")
            for dependent in keptBackup.decision.dependents {
                #expect(keptBackup.until >= needs.kept(dependent)!.until, "\(day): \(keptBackup.backup.name) expires before \(dependent)")
            }
        }
        return (classification, backups.count)
    }

    /// The newest backup (by stop time) in each of the last 7 days, 4 ISO weeks, 12 months and 7 years of `now`,
    /// the permanent ones and the newest one.
    static func gfs(_ backups: [BackupDescriptor], now: UTCTime) -> Set<String> {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var kept = Set(backups.map(\.name).filter(permanent.contains))
        let newestFirst = backups.sorted { ($0.stopTime, $0.name) > ($1.stopTime, $1.name) }
        if let newest = newestFirst.first { kept.insert(newest.name) }
        for (component, count) in [(Calendar.Component.day, 7), (.weekOfYear, 4), (.month, 12), (.year, 7)] {
            var interval = calendar.dateInterval(of: component, for: Date(timeIntervalSince1970: TimeInterval(now.secondsSinceEpoch)))!
            for _ in 0..<count {
                let inside = newestFirst.first {
                    let date = Date(timeIntervalSince1970: TimeInterval($0.stopTime.secondsSinceEpoch))
                    return date >= interval.start && date < interval.end
                }
                if let inside { kept.insert(inside.name) }
                interval = calendar.dateInterval(of: component, for: interval.start.addingTimeInterval(-1))!
            }
        }
        return kept
    }
}
