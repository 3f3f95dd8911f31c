import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRWAL

@Suite struct RetentionPeriodTests {
    func time(_ text: String) -> UTCTime { UTCTime(iso8601: text)! }

    @Test func boundariesFallWhereTheCalendarPutsThem() {
        // Sunday 2024-12-29 ends ISO week 2024-W52; Monday 2024-12-30 begins 2025-W01, still in year 2024.
        #expect(RetentionClass.weekly.period(of: time("2024-12-29T23:59:59Z"))! + 1 == RetentionClass.weekly.period(of: time("2024-12-30T00:00:00Z")))
        #expect(RetentionClass.weekly.period(of: time("2024-12-30T00:00:00Z")) == RetentionClass.weekly.period(of: time("2025-01-05T23:59:59Z")))
        #expect(RetentionClass.yearly.period(of: time("2024-12-30T00:00:00Z")) == 2024)
        #expect(RetentionClass.monthly.period(of: time("2024-02-29T23:59:59Z"))! + 1 == RetentionClass.monthly.period(of: time("2024-03-01T00:00:00Z")))
        #expect(RetentionClass.daily.period(of: time("2024-02-28T12:00:00Z"))! + 1 == RetentionClass.daily.period(of: time("2024-02-29T12:00:00Z")))
        #expect(RetentionClass.daily.period(of: time("1969-12-31T23:59:59Z")) == -1)
        #expect(RetentionClass.permanent.period(of: time("2024-02-29T12:00:00Z")) == nil)
    }

    /// Each period starts at `start(ofPeriod:)` and ends where the next starts, over random moments from 1950 to 2100.
    @Test func periodStartsInvertPeriods() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let moment = UTCTime(secondsSinceEpoch: Int64.random(in: -631_152_000...4_102_444_800, using: &generator))
            for kind in RetentionClass.periodic {
                let period = kind.period(of: moment)!
                let start = kind.start(ofPeriod: period)!, next = kind.start(ofPeriod: period + 1)!
                #expect(start <= moment && moment < next, "\(kind) \(moment.iso8601)")
                #expect(kind.period(of: start) == period && kind.period(of: UTCTime(secondsSinceEpoch: next.secondsSinceEpoch - 1)) == period)
            }
        }
        #expect(RetentionClass.weekly.start(ofPeriod: RetentionClass.weekly.period(of: time("2024-12-31T12:00:00Z"))!) == time("2024-12-30T00:00:00Z"))
        #expect(RetentionClass.monthly.start(ofPeriod: RetentionClass.monthly.period(of: time("2024-02-29T12:00:00Z"))! + 1) == time("2024-03-01T00:00:00Z"))
        #expect(RetentionClass.parent.start(ofPeriod: 1) == nil)
    }

    /// Checks every class against Foundation's ISO 8601 calendar in UTC over random moments from 1950 to 2100.
    @Test func agreesWithFoundationsCalendar() {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components: [RetentionClass: Calendar.Component] = [.daily: .day, .weekly: .weekOfYear, .monthly: .month, .yearly: .year]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let seconds = Int64.random(in: -631_152_000...4_102_444_800, using: &generator)
            let a = UTCTime(secondsSinceEpoch: seconds)
            for (kind, component) in components {
                let interval = calendar.dateInterval(of: component, for: Date(timeIntervalSince1970: TimeInterval(seconds)))!
                let start = UTCTime(secondsSinceEpoch: Int64(interval.start.timeIntervalSince1970))
                let next = UTCTime(secondsSinceEpoch: Int64(interval.end.timeIntervalSince1970))
                let last = UTCTime(secondsSinceEpoch: next.secondsSinceEpoch - 1)
                #expect(kind.period(of: start) == kind.period(of: a), "\(kind) \(a.iso8601) starts \(start.iso8601)")
                #expect(kind.period(of: last) == kind.period(of: a), "\(kind) \(a.iso8601) ends \(last.iso8601)")
                #expect(kind.period(of: next) == kind.period(of: a)! + 1, "\(kind) \(a.iso8601) next \(next.iso8601)")
            }
        }
    }
}

@Suite struct RetentionPolicyTests {
    @Test func parsesTheSettingAndRefusesMistakes() throws {
        #expect(try RetentionPolicy(parsing: "daily=7 weekly=4 monthly=12 yearly=7", setting: "S") == .standard)
        #expect(try RetentionPolicy(parsing: "daily=3,yearly=1", setting: "S").counts == [.daily: 3, .yearly: 1])
        #expect(throws: RetentionError.self) { try RetentionPolicy(parsing: "daily=7 hourly=2", setting: "S") }
        #expect(throws: RetentionError.self) { try RetentionPolicy(parsing: "daily=-1", setting: "S") }
        #expect(throws: RetentionError.self) { try RetentionPolicy(parsing: "daily=1 daily=2", setting: "S") }
        #expect(throws: RetentionError.self) { try RetentionPolicy(parsing: "newest=1", setting: "S") }
    }

    @Test func settingIsReadWithItsDefault() throws {
        let unset = try Settings.load(flags: [:], environment: [:], defaultFile: "/nonexistent")
        #expect(try unset.retentionPolicy() == .standard)
        let set = try Settings.load(flags: [:], environment: ["TAILTOWN_RETAIN": "daily=2"], defaultFile: "/nonexistent")
        #expect(try set.retentionPolicy().counts == [.daily: 2])
        let bad = try Settings.load(flags: [:], environment: ["TAILTOWN_RETAIN": "dayly=2"], defaultFile: "/nonexistent")
        #expect(throws: ConfigError.self) { try bad.retentionPolicy() }
    }

    /// The policy's errors quote words of the value; a key pasted into it is quoted nowhere.
    @Test func aKeyInThePolicyIsNeverPrinted() throws {
        let key = "UhVsf6C55pZ+UYjkvcNZtGkXy6GAFq14ZnR0hFkl0Ug="
        for text in ["daily=7 \(key)", "daily=\(key)"] {
            let settings = try Settings.load(flags: [:], environment: ["TAILTOWN_RETAIN": text], defaultFile: "/nonexistent")
            do {
                _ = try settings.retentionPolicy()
                Issue.record("\(text) was accepted")
            } catch {
                #expect("\(error)" == "TAILTOWN_RETAIN (from environment) is not a retention policy; write it like '\(RetentionPolicy.standardText)'")
            }
        }
    }

    @Test func notifyURLIsCheckedAndNeverPrinted() throws {
        let hook = "https://hooks.slack.com/services/T0/B0/sekrit"
        let set = try Settings.load(flags: [:], environment: ["TAILTOWN_NOTIFY_URL": hook], defaultFile: "/nonexistent")
        #expect(try set.notifyURL() == hook)
        #expect(!set.report().joined().contains("sekrit"))
        let bad = try Settings.load(flags: [:], environment: ["TAILTOWN_NOTIFY_URL": "hooks.slack.com/sekrit"], defaultFile: "/nonexistent")
        #expect(throws: ConfigError.self) { try bad.notifyURL() }
        #expect(try Settings.load(flags: [:], environment: [:], defaultFile: "/nonexistent").notifyURL() == nil)
    }
}

@Suite struct RetentionClassificationTests {
    static func backup(_ name: String, _ stop: String) -> BackupDescriptor {
        let time = UTCTime(iso8601: stop)!
        return BackupDescriptor(
            name: name, label: "", startLSN: LSN(0x1000028), stopLSN: LSN(0x1000100), startTime: time, stopTime: time,
            timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: 1, serverVersion: 150004,
            segmentSize: 16 << 20, tablespaces: [], compression: .lz4, cipher: "none", keyID: "", objects: [])
    }

    /// Worked by hand: now is Thursday 2025-01-02, policy two of each.
    @Test func keepsTheNewestOfEachRecentPeriod() {
        let backups = [
            Self.backup("A", "2023-06-01T00:00:00Z"),
            Self.backup("B", "2023-12-31T23:59:59Z"),
            Self.backup("C", "2024-02-29T10:00:00Z"),
            Self.backup("D", "2024-11-30T23:00:00Z"),
            Self.backup("E", "2024-12-29T22:00:00Z"), // Sunday: ISO week 2024-W52
            Self.backup("F", "2024-12-30T01:00:00Z"), // Monday: ISO week 2025-W01
            Self.backup("G", "2024-12-31T23:59:59Z"), // last of December and of 2024
            Self.backup("H", "2025-01-01T00:00:00Z"),
            Self.backup("I", "2025-01-01T05:00:00Z"),
        ]
        let policy = RetentionPolicy(counts: [.daily: 2, .weekly: 2, .monthly: 2, .yearly: 2])
        let result = RetentionClassification(backups: backups.reversed(), permanent: ["C"], policy: policy, now: UTCTime(iso8601: "2025-01-02T12:00:00Z")!)
        var kept: [String: [RetentionClass]] = [:]
        for decision in result.kept { kept[decision.backup.name] = decision.classes }
        #expect(kept == [
            "I": [.daily, .weekly, .monthly, .yearly, .newest],
            "G": [.monthly, .yearly],
            "E": [.weekly],
            "C": [.permanent],
        ])
        #expect(result.deleted.map(\.backup.name) == ["A", "B", "D", "F", "H"])
        #expect(result.decisions.first { $0.backup.name == "I" }?.anchorsWindow == true)
        #expect(result.decisions.first { $0.backup.name == "G" }?.anchorsWindow == false)
    }

    @Test func newestIsKeptEvenWhenThePolicyKeepsNothing() {
        let result = RetentionClassification(backups: [Self.backup("old", "2020-01-01T00:00:00Z"), Self.backup("older", "2019-01-01T00:00:00Z")],
                                             permanent: [], policy: RetentionPolicy(counts: [:]), now: UTCTime(iso8601: "2025-01-02T12:00:00Z")!)
        #expect(result.kept.map(\.backup.name) == ["old"])
        #expect(result.kept.first?.classes == [.newest])
    }

    /// Three years of irregular backups (every 1 to 3 days at varying hours, plus month ends, ISO week
    /// edges, New Year and 29 February); the expected set comes from Foundation's ISO 8601 calendar.
    @Test func threeYearsAgainstAnIndependentCalendar() {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let now = UTCTime(iso8601: "2028-03-01T06:30:00Z")!
        var times: [Int64] = []
        var t = UTCTime(iso8601: "2025-02-20T03:00:00Z")!.secondsSinceEpoch
        var step: Int64 = 0
        while t < now.secondsSinceEpoch {
            times.append(t)
            step += 1
            t += 86_400 * (1 + step % 3) + 3_600 * (step % 7) - 1_800
        }
        for edge in ["2025-12-31T23:59:59Z", "2026-01-01T00:00:00Z", "2027-02-28T23:00:00Z", "2028-02-29T23:59:59Z",
                     "2028-02-28T00:00:01Z", "2026-12-27T23:59:59Z", "2026-12-28T00:00:00Z", "2027-01-03T12:00:00Z",
                     "2028-01-02T23:59:59Z", "2028-01-03T00:00:00Z", "2027-12-31T23:59:59Z"] {
            times.append(UTCTime(iso8601: edge)!.secondsSinceEpoch)
        }
        let backups = times.enumerated().map { Self.backup(String(format: "b%04d", $0.offset), UTCTime(secondsSinceEpoch: $0.element).iso8601) }
        let result = RetentionClassification(backups: backups, permanent: [], policy: .standard, now: now)

        let nowDate = Date(timeIntervalSince1970: TimeInterval(now.secondsSinceEpoch))
        var expected: [String: Set<RetentionClass>] = [:]
        for (kind, component, count) in [(RetentionClass.daily, Calendar.Component.day, 7), (.weekly, .weekOfYear, 4), (.monthly, .month, 12), (.yearly, .year, 7)] {
            var interval = calendar.dateInterval(of: component, for: nowDate)!
            for _ in 0..<count {
                let inside = backups.filter {
                    let date = Date(timeIntervalSince1970: TimeInterval($0.stopTime.secondsSinceEpoch))
                    return date >= interval.start && date < interval.end
                }
                if let newest = inside.max(by: { $0.stopTime < $1.stopTime }) { expected[newest.name, default: []].insert(kind) }
                interval = calendar.dateInterval(of: component, for: interval.start.addingTimeInterval(-1))!
            }
        }
        if let newest = backups.max(by: { $0.stopTime < $1.stopTime }) { expected[newest.name, default: []].insert(.newest) }
        var got: [String: Set<RetentionClass>] = [:]
        for decision in result.kept { got[decision.backup.name] = Set(decision.classes) }
        #expect(got == expected)
        // 7 daily + 4 weekly + 12 monthly + 4 yearly (2025...2028) periods with backups, minus overlaps.
        #expect(got.count >= 12 && got.count < 27)
        #expect(got.values.contains { $0.contains(.yearly) && !$0.contains(.monthly) })
    }
}
