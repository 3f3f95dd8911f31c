import Foundation
import Testing
@testable import PITRMonitoring
import PITRPipeline
@testable import PITRRepository
@testable import PITRSupport
@testable import PITRVerify

/// Restore drills kept in the repository: one sealed object each, never rewritten; `status` shows them and `check`
/// alarms on a slow, failed or old one.
@Suite struct DrillRecordTests {
    func drill(_ monitored: MonitoredRepository, secondsAgo: Int64, total: Double, passed: Bool = true) throws {
        try DrillRecord(time: UTCTime(secondsSinceEpoch: monitored.now.secondsSinceEpoch - secondsAgo), backup: monitored.backup.name,
                        passed: passed, totalSeconds: total, phases: [.init(name: "plan", seconds: 0.5), .init(name: "download and extract", seconds: total - 0.5)])
            .save(in: monitored.repo.repository)
    }

    @Test func drillsAreKeptSealedAndShownAndChecked() throws {
        let monitored = try MonitoredRepository()
        let check = HealthCheck(maxBackupAge: 86_400, maxWALAge: 3600)
        var strict = check
        strict.maxRTO = 60
        strict.maxDrillAge = 86_400
        #expect(try strict.problems(monitored.status(), server: nil).contains("no restore drill was ever recorded in the repository (--max-drill-age): run verify --restore-test"))

        try drill(monitored, secondsAgo: 7200, total: 42.0)
        try drill(monitored, secondsAgo: 7200, total: 42.0)   // the same second: a name of its own, nothing replaced
        try drill(monitored, secondsAgo: 3600, total: 95.0)
        let status = try monitored.status()
        #expect(status.drills.map(\.totalSeconds) == [42.0, 42.0, 95.0])
        #expect(status.drills.last?.phases.map(\.name) == ["plan", "download and extract"])
        #expect(try monitored.repo.repository.storage.list(prefix: DrillRecord.folder).count == 3)
        #expect(StatusText.render(status).contains("restore drills    \(UTCTime(secondsSinceEpoch: monitored.now.secondsSinceEpoch - 3600).iso8601) 95.0 s"),
                "\(StatusText.render(status))")
        #expect(StatusJSON.render(status).contains("\"total_seconds\":95.0}]"))

        #expect(check.problems(status, server: nil).allSatisfy { !$0.contains("drill") })
        let problems = strict.problems(status, server: nil)
        #expect(problems.contains { $0.contains("took 95.0 s, more than the RTO of 1m (--max-rto)") }, "\(problems)")
        var older = strict
        older.maxRTO = 120
        older.maxDrillAge = 1800
        #expect(older.problems(status, server: nil).contains { $0.contains("the last restore drill ran ") && $0.contains("more than 30m (--max-drill-age)") })

        try drill(monitored, secondsAgo: 60, total: 10.0, passed: false)
        #expect(strict.problems(try monitored.status(), server: nil).contains { $0.contains("failed: run verify --restore-test") })

        // A record in plain text (put there without the key) is not a drill.
        let planted = monitored.repo.path(DrillRecord.folder + "99991231T000000Z-0000000000000000")
        try Data("format=1\ntime=2026-01-01T00:00:00Z\nresult=passed\ntotal-seconds=1.0\n".utf8).write(to: URL(fileURLWithPath: planted))
        #expect(try monitored.status().drills.count == 4)

        // Bytes that are no record, a forged header, an object larger than any record, and more plain records under newer
        // names than status shows: none stops status, and none takes a genuine drill's place among the newest five.
        for (index, bytes) in [[UInt8](repeating: 0xA5, count: 300), ObjectHeader.magic + [UInt8](repeating: 7, count: 120),
                               [UInt8](repeating: 0x5A, count: 2 << 20)].enumerated() {
            try Data(bytes).write(to: URL(fileURLWithPath: monitored.repo.path(DrillRecord.folder + "99991231T00000\(index)Z-ffffffffffffffff")))
        }
        for index in 0..<5 {
            try Data("format=1\ntime=2026-01-01T00:00:00Z\nresult=failed\ntotal-seconds=1.0\n".utf8)
                .write(to: URL(fileURLWithPath: monitored.repo.path(DrillRecord.folder + "99991231T00001\(index)Z-0000000000000000")))
        }
        let repository = monitored.repo.repository
        #expect(try DrillRecord.recent(in: repository, limit: 5).map(\.totalSeconds) == [42.0, 42.0, 95.0, 10.0])
        let warned = repository.log.subjects(warnedAbout: DrillRecord.rejectedTopic)
        #expect(warned.count == 3)
        #expect(warned.contains(repository.storage.describe(DrillRecord.folder + "99991231T000002Z-ffffffffffffffff")))
        #expect(try monitored.status().drills.count == 4)
    }

    /// The restore plan's time estimate uses the rates the newest passed drill measured.
    @Test func theNewestPassedDrillGivesThePlannerItsRates() throws {
        let monitored = try MonitoredRepository()
        #expect(try DrillRecord.estimate(in: monitored.repo.repository) == .assumed)
        var measured = DrillRecord(time: monitored.now, backup: monitored.backup.name, passed: true, totalSeconds: 30,
                                   phases: [.init(name: "plan", seconds: 1), .init(name: "download and extract", seconds: 20),
                                            .init(name: "recovery to the target", seconds: 8), .init(name: "stop and clean up", seconds: 1)])
        measured.downloadBytes = 2_000_000_000
        measured.replayBytes = 400_000_000
        try measured.save(in: monitored.repo.repository)
        try DrillRecord(time: UTCTime(secondsSinceEpoch: monitored.now.secondsSinceEpoch + 1), backup: monitored.backup.name, passed: false,
                        totalSeconds: 3, phases: []).save(in: monitored.repo.repository)
        let estimate = try DrillRecord.estimate(in: monitored.repo.repository)
        #expect(estimate.downloadBytesPerSecond == 100_000_000 && estimate.replayBytesPerSecond == 50_000_000)
        #expect(estimate.source == "rates measured by the restore drill of \(monitored.now.iso8601)")
    }
}
