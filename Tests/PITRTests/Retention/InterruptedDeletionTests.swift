import Testing
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRVerify

/// The real FileStorage, with a power cut after `budget` removals: every later removal throws.
final class InterruptingStorage: ForwardingStorage {
    private var budget: Int

    struct PowerCut: Error {}

    init(_ inner: FileStorage, budget: Int) {
        self.budget = budget
        super.init(base: inner)
    }

    override func remove(_ key: String) throws {
        guard budget > 0 else { throw PowerCut() }
        budget -= 1
        try base.remove(key)
    }

    override func remove(keys: [String]) throws -> [LockedObject] {
        for key in keys { try remove(key) }
        return []
    }

    override func discard(_ uploads: [AbandonedUpload]) throws {
        guard budget > 0 else { throw PowerCut() }
        budget -= 1
        try base.discard(uploads)
    }
}

@Suite struct InterruptedDeletionTests {
    /// Cuts `delete --confirm` after 0, 1, 2, ... removals: each time the repository still verifies,
    /// and a second `delete` finishes the job.
    @Test func everyInterruptionLeavesARepositoryVerifyAccepts() throws {
        var total = 0
        for budget in [0, 1, 2, 3, 4, 6, 9, 14, 20, 30, 45, 52] {
            let scenario = try RetentionScenario()
            let storage = scenario.repo.storage as! FileStorage
            let plan = try RetentionPlanner(inventory: try RepositoryInventory.load(repository: scenario.repo.repository))
                .plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
            total = plan.backups.reduce(0) { $0 + $1.objects.count } + plan.wal.reduce(0) { $0 + $1.files.count }
            #expect(throws: InterruptingStorage.PowerCut.self) {
                try plan.execute(on: InterruptingStorage(storage, budget: budget), log: Log(level: .error))
            }
            let report = RepositoryVerifier(inventory: try RepositoryInventory.load(repository: scenario.repo.repository),
                                            policy: RetentionScenario.policy, now: RetentionScenario.now, deep: false).run()
            #expect(report.isSound, "after \(budget) removals: \(report.text)")

            let finish = try RetentionPlanner(inventory: try RepositoryInventory.load(repository: scenario.repo.repository))
                .plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
            try finish.execute(on: storage, log: Log(level: .error))
            let expectedGone = scenario.expectedDeletedWAL.union(scenario.backupKeys("b1")).union(scenario.backupKeys("b4"))
            #expect(try Set(scenario.repo.keys()).isDisjoint(with: expectedGone), "after \(budget) removals")
            #expect(try RetentionPlanner(inventory: try RepositoryInventory.load(repository: scenario.repo.repository))
                .plan(policy: RetentionScenario.policy, now: RetentionScenario.now).isEmpty)
        }
        #expect(total == 53, "the budgets above cut inside the plan, up to its last removal")
    }
}
