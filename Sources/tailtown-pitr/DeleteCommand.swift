import ArgumentParser
import PITRRetention
import PITRSupport


struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Apply the retention policy (TAILTOWN_RETAIN): print what goes, and delete it with --confirm.",
        discussion: """
            Keeps the newest backup of each of the last N days, ISO weeks, months and years (UTC), marked \
            backups and the newest backup; WAL continuously from the oldest backup kept as daily, and only \
            start to stop for the others. Without --confirm nothing changes.
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
            let plan = try RetentionPlanner(inventory: inventory).plan(policy: try invocation.settings.retentionPolicy(), now: UTCTime.now())
            print(plan.text, terminator: "")
            if plan.isEmpty, plan.locks?.extensions.isEmpty ?? true {
                print("nothing to delete")
            } else if confirm {
                let outcome = try plan.execute(on: repository.storage, log: invocation.log)
                if outcome.extendedLocks > 0 { print("extended the locks of \(outcome.extendedLocks) kept objects") }
                if outcome.removedVersions > 0 { print("removed \(outcome.removedVersions) noncurrent versions whose locks had ended") }
                print(RetentionPlan.lockedText(outcome), terminator: "")
                print("deleted")
            } else {
                print("nothing deleted: run again with --confirm to delete")
            }
        }
    }
}
