import ArgumentParser
import PITRRepository
import PITRRetention
import PITRStorage
import PITRSupport


struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Apply the retention policies (TAILTOWN_RETAIN, TAILTOWN_RETAIN_DUMPS): print what goes, and delete it with --confirm.",
        discussion: """
            Keeps the newest backup of each of the last N days, ISO weeks, months and years (UTC), marked \
            backups and the newest backup; WAL continuously from the oldest backup kept as daily, and only \
            start to stop for the others; the newest dump run of each period of TAILTOWN_RETAIN_DUMPS and the \
            newest run, and removes what killed dump-push runs left. With TAILTOWN_REPO2, what the second lacks is copied to it \
            first (backups and dumps it missed, oldest first; not what the policies delete from the first), the policies apply \
            to each repository, and the first keeps what the second does not hold yet. Without --confirm nothing changes.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Delete what the plan lists (without it, only print the plan).")
    var confirm = false

    func run() throws {
        let invocation = try Invocation(global)
        try invocation.run {
            let repository = try invocation.repository()
            guard let pair = try invocation.secondRepository(first: repository) else {
                try apply(try plans(for: repository, invocation: invocation), to: repository, invocation: invocation)
                return
            }
            // What the second lacks is copied first (oldest first), so that the first may delete it once the policy says so,
            // except what the first's plan (made now, carried out below) deletes; a second that was never written to is
            // set up first (as wal-push would), with --confirm only.
            if confirm { try pair.setUp(archives: []) }
            let firstPlans = try plans(for: repository, invocation: invocation)
            let backfill = try SecondRepositoryBackfill(pair: pair, deleting: firstPlans.backups.keys.union(firstPlans.dumps.keys))
            print(backfill.text, terminator: "")
            if confirm, !backfill.objects.isEmpty {
                print("copied  \(String(byteCount: try backfill.run(log: invocation.log))) to the second repository")
            }
            // The first keeps what the second does not hold at the same size (listed before the second deletes anything),
            // unless the plan deletes it and it was not copied for that reason.
            let held = Dictionary(try pair.second.storage.listObjects(prefix: "").map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
            let sizes = Dictionary(try repository.storage.listObjects(prefix: "").map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
            let uncopied = Set(backfill.skipped.map(\.key))
            let guarded = ConfirmedRemovalStorage(repository.storage) { key in
                uncopied.contains(key) || (held[key] != nil && held[key] == sizes[key])
            }
            print("first repository \(repository.name):")
            try apply(firstPlans, to: Repository(storage: guarded, keyring: repository.keyring, log: repository.log), invocation: invocation,
                      kept: { guarded.kept })
            if !guarded.kept.isEmpty {
                print("kept    \(guarded.kept.count) objects the second repository does not hold yet: a later delete removes them once copied")
            }
            print("second repository \(pair.second.name):")
            if try pair.second.storage.size(of: Repository.markerKey) == nil {
                print("not set up yet: delete --confirm sets it up and copies what it lacks")
            } else {
                try apply(try plans(for: pair.second, invocation: invocation), to: pair.second, invocation: invocation)
            }
        }
    }

    /// What the policies remove from `repository` now: the backups' plan and the dumps'.
    private func plans(for repository: Repository, invocation: Invocation) throws -> (backups: RetentionPlan, dumps: DumpDeletionPlan) {
        let inventory = try RepositoryInventory.load(repository: repository)
        let now = UTCTime.now()
        let plan = try RetentionPlanner(inventory: inventory).plan(policy: try invocation.settings.retentionPolicy(), now: now)
        let dumps = try DumpDeletionPlan.make(repository: repository, policy: try invocation.settings.dumpRetentionPolicy(), now: now,
                                              excluding: Set(plan.abandonedUploads.map(\.key)))
        return (plan, dumps)
    }

    /// Prints `plans` and, with --confirm, carries them out on `repository`; `kept` names the objects left for the
    /// second repository's sake, which are not reported as locked.
    private func apply(_ plans: (backups: RetentionPlan, dumps: DumpDeletionPlan), to repository: Repository, invocation: Invocation,
                       kept: () -> Set<String> = { [] }) throws {
        let (plan, dumps) = plans
        print(plan.text, terminator: "")
        print(dumps.text, terminator: "")
        if plan.isEmpty, dumps.isEmpty, plan.locks?.extensions.isEmpty ?? true, plan.placement == nil {
            print("nothing to delete")
        } else if confirm {
            // Dumps first: the backups' plan tags last, and a role refused tags must not keep the dumps from being deleted.
            let dumpOutcome = try dumps.execute(on: repository.storage, log: invocation.log)
            var outcome = try plan.execute(on: repository.storage, log: invocation.log)
            outcome.locked += dumpOutcome.locked
            outcome.extendedLocks += dumpOutcome.extendedLocks
            outcome.deleted += dumpOutcome.deleted
            outcome.tagged += try dumps.tag(on: repository.storage)
            let uncopied = kept()
            outcome.locked.removeAll { uncopied.contains($0.key) }
            outcome.lockedBackups.removeAll { name in plan.backups.contains { $0.backup.name == name && uncopied.contains($0.descriptorKey) } }
            print(RetentionPlan.lockedText(outcome), terminator: "")
            print(outcome.summary)
        } else {
            print("nothing deleted: run again with --confirm to delete")
        }
    }
}
