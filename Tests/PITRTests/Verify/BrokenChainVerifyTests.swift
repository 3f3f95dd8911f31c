import Testing
@testable import PITRBackup
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRVerify

@Suite struct BrokenChainVerifyTests {
    @Test func anIncrementalWhoseFullBackupWasRemovedByHandIsNamed() throws {
        let repo = try SyntheticRepository()
        try repo.addSegments(1...6)
        let full = try repo.addBackup(stoppedAt: "2026-06-18T01:00:00Z", start: 2)
        let incremental = try repo.addBackup(stoppedAt: "2026-06-19T01:00:00Z", start: 4, parent: full)
        try repo.storage.remove(keys: try repo.storage.list(prefix: "backups/\(full.name)/"))
        let report = RepositoryVerifier(inventory: try RepositoryInventory.load(repository: repo.repository), policy: .standard,
                                        now: UTCTime(iso8601: "2026-06-19T03:00:00Z")!, deep: false).run()
        #expect(report.problems == [.brokenChain(backup: incremental.name, problem: .missing(ancestor: full.name))])
        #expect(report.problems.first?.kind == "broken_chain")
        #expect(report.problems.first?.description == "incremental backup \(incremental.name) cannot be restored: its chain needs \(full.name), "
                + "which is not in the repository; put \(full.name)'s folder back if a copy exists, else the next full backup starts a new "
                + "chain and delete removes this one once the policy no longer keeps it")
    }
}
