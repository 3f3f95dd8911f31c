import ArgumentParser
import PITRRetention
import PITRSupport


struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Apply the retention policies (TAILTOWN_RETAIN, TAILTOWN_RETAIN_DUMPS): print what goes, and delete it with --confirm.",
        discussion: """
            Keeps the newest backup of each of the last N days, ISO weeks, months and years (UTC), marked \
            backups and the newest backup; WAL continuously from the oldest backup kept as daily, and only \
            start to stop for the others; the newest dump run of each period of TAILTOWN_RETAIN_DUMPS and the \
            newest run, and removes what killed dump-push runs left. Without --confirm nothing changes.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Delete what the plan lists (without it, only print the plan).")
    var confirm = false

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let repository = try invocation.repository()
            let inventory = try RepositoryInventory.load(repository: repository)
            let now = UTCTime.now()
            let plan = try RetentionPlanner(inventory: inventory).plan(policy: try invocation.settings.retentionPolicy(), now: now)
            let dumps = try DumpDeletionPlan.make(repository: repository, policy: try invocation.settings.dumpRetentionPolicy(), now: now,
                                                  excluding: Set(plan.abandonedUploads.map(\.key)))
            print(plan.text, terminator: "")
            print(dumps.text, terminator: "")
            if plan.isEmpty, dumps.isEmpty, plan.locks?.extensions.isEmpty ?? true, plan.placement == nil {
                print("nothing to delete")
            } else if confirm {
                var outcome = try plan.execute(on: repository.storage, log: invocation.log)
                let dumpOutcome = try dumps.execute(on: repository.storage, log: invocation.log)
                outcome.locked += dumpOutcome.locked
                outcome.extendedLocks += dumpOutcome.extendedLocks
                if outcome.extendedLocks > 0 { print("extended the locks of \(outcome.extendedLocks) kept objects") }
                if outcome.tagged > 0 { print("tagged \(outcome.tagged) kept objects to move to a colder storage class") }
                if outcome.removedVersions > 0 { print("removed \(outcome.removedVersions) noncurrent versions whose locks had ended") }
                print(RetentionPlan.lockedText(outcome), terminator: "")
                print("deleted")
            } else {
                print("nothing deleted: run again with --confirm to delete")
            }
        }
    }
}
