import Foundation
import Testing
@testable import PITRBackup
@testable import PITRMonitoring
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL
import TestSupport

/// Twenty segments archived every 30 minutes up to now, one backup in segment 5 finished 7.5 hours ago.
struct MonitoredRepository {
    let repo: SyntheticRepository
    let now: UTCTime
    let backup: BackupDescriptor

    init() throws {
        repo = try SyntheticRepository()
        now = UTCTime(secondsSinceEpoch: UTCTime.now().secondsSinceEpoch)
        try repo.addSegments(1...20)
        backup = try repo.addBackup(stoppedAt: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - 27_000).iso8601, start: 5)
        for n in 1...20 {
            try repo.age(repo.path(repo.walKey(.segment(repo.segment(1, UInt64(n))))), by: Int64(20 - n) * 1800, before: now)
        }
    }

    func status(policy: RetentionPolicy = .standard, at time: UTCTime? = nil) throws -> RepositoryStatus {
        try RepositoryStatus(inventory: try RepositoryInventory.load(repository: repo.repository), policy: policy, now: time ?? now)
    }
}

@Suite struct RepositoryStatusTests {
    @Test func reportsAgesWindowSizesAndRate() throws {
        let monitored = try MonitoredRepository()
        let status = try monitored.status()
        #expect(status.newestBackup?.name == monitored.backup.name && status.backupAge == 27_000)
        #expect(status.newestSegment?.fileName == "000000010000000000000014" && status.walAge == 0)
        #expect(status.window == RepositoryStatus.Window(start: monitored.backup.stopTime, end: monitored.now, endIsCommit: false))
        #expect(status.gaps.isEmpty)
        #expect(status.segmentsLastDay == 20)
        let walBytes = try monitored.repo.storage.listObjects(prefix: "wal/").filter { !$0.key.hasSuffix("archive.info") }.reduce(0) { $0 + $1.size }
        #expect(status.bytesByKind.map(\.kind) == ["backups", "wal", "dumps"])
        #expect(status.bytesByKind[0].bytes == monitored.backup.storedBytes + (try monitored.repo.storage.size(of: BackupDescriptor.key(of: monitored.backup.name)) ?? 0))
        #expect(status.bytesByKind[1].bytes == walBytes)
        #expect(status.bytesByStorageClass.map(\.storageClass) == ["local"])

        let text = StatusText.render(status)
        #expect(text.contains("newest backup     \(monitored.backup.name)") && text.contains("7h30m ago"))
        #expect(text.contains("archive rate      20 segments in the last 24 h (0.8/h)"))
        let json = try JSONSerialization.jsonObject(with: Data(StatusJSON.render(status).utf8)) as! [String: Any]
        #expect(json["backup_age_seconds"] as? Int == 27_000)
        #expect((json["window"] as? [String: Any])?["start"] as? String == monitored.backup.stopTime.iso8601)
        #expect(((json["backups"] as? [[String: Any]])?.first?["retention"] as? [String])?.contains("newest") == true)
        let listed = (json["backups"] as? [[String: Any]])?.first
        #expect(listed?["type"] as? String == "full" && listed?["parent"] is NSNull
                && listed?["represented_bytes"] as? Int == monitored.backup.fullBytes)
        #expect(text.contains("\(monitored.backup.name)  \(monitored.backup.identity.archiveID)") && text.contains("  full  "))
    }

    @Test func htmlIsSelfContainedAndDrawsGapsInRed() throws {
        let monitored = try MonitoredRepository()
        let clean = StatusHTML.render(try monitored.status())
        #expect(clean.contains("<svg") && clean.contains("WAL coverage") && !clean.contains("fill=\"#d32f2f\""))
        try monitored.repo.storage.remove(monitored.repo.walKey(.segment(monitored.repo.segment(1, 12))))
        let status = try monitored.status()
        #expect(status.gaps.map(\.first.fileName) == ["00000001000000000000000C"])
        let page = StatusHTML.render(status)
        #expect(page.contains("fill=\"#d32f2f\"") && page.contains("00000001000000000000000C"))
        for external in ["<script", "src=", "href=", "url(", "@import", "<link"] {
            #expect(!page.contains(external), "the page refers to something outside it: \(external)")
        }
        #expect(StatusHTML.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
    }
}

@Suite struct HealthCheckTests {
    func server(_ monitored: MonitoredRepository, segment: UInt64, failing: String? = nil) -> ServerArchiveState {
        ServerArchiveState(identity: monitored.repo.identity, currentLSN: LSN(segment * monitored.repo.segmentSize.bytes + 0x1000),
                           failingWAL: failing, failingSince: failing == nil ? nil : "2026-11-27 01:00:00+00")
    }

    @Test func freshRepositoryIsWell() throws {
        let monitored = try MonitoredRepository()
        #expect(HealthCheck().problems(try monitored.status(), server: nil).isEmpty)
    }

    @Test func staleBackupAndStaleWAL() throws {
        let monitored = try MonitoredRepository()
        let later = UTCTime(secondsSinceEpoch: monitored.now.secondsSinceEpoch + 20 * 3600)
        let problems = HealthCheck().problems(try monitored.status(at: later), server: nil)
        #expect(problems.count == 2)
        #expect(problems[0].hasPrefix("newest backup \(monitored.backup.name) finished 1d3h ago"))
        #expect(problems[1].hasPrefix("newest archived WAL 000000010000000000000014 is 20h0m old"))
        #expect(HealthCheck(maxBackupAge: 3600).problems(try monitored.status(), server: nil).count == 1)
    }

    @Test func anIdleServerRaisesNoFalseAlarmButAStuckArchiverDoes() throws {
        let monitored = try MonitoredRepository()
        let later = try monitored.status(at: UTCTime(secondsSinceEpoch: monitored.now.secondsSinceEpoch + 3 * 3600))
        // Idle: the server still writes the segment after the last archived one.
        #expect(HealthCheck().problems(later, server: server(monitored, segment: 21)).isEmpty)
        let stuck = HealthCheck().problems(later, server: server(monitored, segment: 25))
        #expect(stuck.count == 1 && stuck[0].contains("finished 4 segments since"))
        let failing = HealthCheck().problems(try monitored.status(), server: server(monitored, segment: 21, failing: "000000010000000000000015"))
        #expect(failing.count == 1 && failing[0].contains("archiver is failing: last failure on 000000010000000000000015"))
    }

    @Test func aNewestBackupWhoseFullBackupWasDeletedByHandIsAProblem() throws {
        let monitored = try MonitoredRepository()
        let incremental = try monitored.repo.addBackup(stoppedAt: UTCTime(secondsSinceEpoch: monitored.now.secondsSinceEpoch - 600).iso8601,
                                                       start: 10, parent: monitored.backup)
        #expect(HealthCheck().problems(try monitored.status(), server: nil).isEmpty)
        try monitored.repo.storage.remove(BackupDescriptor.key(of: monitored.backup.name))
        let problems = HealthCheck().problems(try monitored.status(), server: nil)
        #expect(problems == ["newest backup \(incremental.name) cannot be restored: its chain needs \(monitored.backup.name), which is not in the repository; "
                             + "take a full backup (backup-push --type full)"], "\(problems)")
    }

    @Test func noBackupAndAFailedVerifyAreProblems() throws {
        let repo = try SyntheticRepository()
        try repo.addSegments(1...2)
        let status = try RepositoryStatus(inventory: try RepositoryInventory.load(repository: repo.repository), policy: .standard, now: UTCTime.now())
        #expect(HealthCheck().problems(status, server: nil) == ["the repository holds no backup: run backup-push"])
        try VerifyRecord(time: UTCTime.now(), sound: false, deep: true, problems: 3).save(in: repo.repository)
        let again = try RepositoryStatus(inventory: try RepositoryInventory.load(repository: repo.repository), policy: .standard, now: UTCTime.now())
        #expect(HealthCheck().problems(again, server: nil).last?.contains("found 3 problems") == true)
    }

    @Test func ageLimits() {
        #expect(AgeLimit.seconds("26h") == 93_600 && AgeLimit.seconds("90m") == 5400 && AgeLimit.seconds("2d") == 172_800)
        #expect(AgeLimit.seconds("45") == 45 && AgeLimit.seconds("45s") == 45)
        #expect(AgeLimit.seconds("0h") == nil && AgeLimit.seconds("h") == nil && AgeLimit.seconds("-1h") == nil && AgeLimit.seconds("1w") == nil)
    }
}

@Suite struct AlertNotifierTests {
    @Test func postsSlackStyleJSON() throws {
        let listener = try WebhookListener()
        let text = AlertNotifier.text(repository: "file:///srv/repo", problems: ["newest backup is \"old\"", "WAL stuck"])
        try AlertNotifier(url: listener.url).send(text)
        let request = try #require(listener.waitForRequest())
        #expect(request.head.hasPrefix("POST /services/T000/B000/secret HTTP/1.1"))
        #expect(request.head.lowercased().contains("content-type: application/json"))
        let json = try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as! [String: Any]
        #expect(json.keys.sorted() == ["text"])
        #expect(json["text"] as? String == "tailtown-pitr check failed for file:///srv/repo:\n• newest backup is \"old\"\n• WAL stuck")
    }

    @Test func aRefusingEndpointIsAnErrorThatHidesTheURL() throws {
        let listener = try WebhookListener(status: 404)
        #expect(throws: AlertError.refused(status: 404)) { try AlertNotifier(url: listener.url).send("x") }
        #expect(!AlertError.refused(status: 404).description.contains("secret"))
    }
}
