import PITRSupport

/// `restore` as the command runs it (docs/recovery.md): plans and shows the plan; unless asked
/// for a dry run, writes the data directory; with `start`, starts PostgreSQL on it and waits until
/// recovery reaches the target. Each line for the user goes to `say`, with the time of each phase.
public struct RestoreRun {
    public var procedure: RestoreProcedure
    /// Print the plan and stop before writing anything.
    public var dryRun = false
    /// Start PostgreSQL on the restored directory and wait for the target.
    public var start = false
    /// The rates the plan's time estimate uses (the last drill's, when the command found one).
    public var estimate = RestoreEstimate.assumed
    /// When the stop just before an xid's end leaves locks of that transaction held (`HeldLocks`), restore instead to just
    /// before it took the first, so that the paused copy can read its tables (`--before-incident`'s default).
    public var readableStop = false
    /// What to do with objects of the plan that lie in an archive storage class (`--thaw`, `--resume`).
    public var thawChoice = ThawChoice.none
    /// `--thaw-wait`: seconds between checks while the thaw is under way; nil exits (`ThawError.pending`) instead.
    public var thawCheckSeconds: Double?

    public init(procedure: RestoreProcedure) {
        self.procedure = procedure
    }

    /// The line that says how to start the copy, its paths quoted for the shell it is pasted into.
    static func nextStep(_ summary: RestoreSummary) -> String {
        let target = RecoverySettings.shellQuoted(summary.targetDirectory)
        let log = RecoverySettings.shellQuoted(summary.targetDirectory + ".postgresql.log")
        return "next: start it with `pg_ctl -D \(target) -l \(log) start` as \(summary.owner.name) (docs/recovery.md)"
    }

    public func run(_ request: RestoreRequest, _ options: RestoreOptions, say: @escaping (String) -> Void) throws {
        let planClock = Stopwatch()
        var plan = try procedure.plan(request)
        say("plan (\(Stopwatch.text(planClock.seconds))):")
        for line in plan.report(estimate: estimate) { say("  " + line) }
        if readableStop, case .xid(let xid) = request.target, let first = plan.heldLocks?.locks.first(where: { $0.xid == xid }) {
            var readable = request
            readable.target = .lsn(first.lsn)
            readable.exclusive = true
            plan = try procedure.plan(readable)
            say("readable target: just before transaction \(xid) took its first lock, at \(first.lsn), so that the paused copy can read its tables; for the stop above instead, add --action promote (the copy is promoted there, which rolls the transaction back):")
            for line in plan.report(estimate: estimate) { say("  " + line) }
        }
        let planSeconds = planClock.seconds
        try thaw(plan, say: say)
        if dryRun { return }
        if plan.archived.contains(where: { $0.backup == nil }) {
            // Thawed, the WAL can be decoded for what the plan left out: where the target lies, the locks held at the stop.
            let thawed = Set(plan.archived.map(\.key))
            let searched = !plan.searchSegments.isEmpty
            plan = try procedure.plan(plan.request, archivedReadable: true)
            if searched {
                say("plan, the target placed in the thawed WAL:")
                let archivedLines = plan.archivedReport
                for line in plan.report(estimate: estimate) where !archivedLines.contains(line) { say("  " + line) }
            } else if let heldLocks = plan.heldLocks {
                for line in heldLocks.report() { say("  " + line) }
            }
            // Only when the target lies where no search of the first plan looked (an older backup's line) is there more to thaw.
            if plan.archived.contains(where: { !thawed.contains($0.key) }) { try thaw(plan, say: say) }
        }

        say("restore into \(options.targetDirectory):")
        let summary = try procedure.execute(plan, options) { say("  " + $0) }
        say("restored \(summary.files) files, \(RestoreExecutor.megabytes(summary.bytes)) in \(Stopwatch.text(summary.seconds)), owned by \(summary.owner.name)")
        guard start else {
            say(Self.nextStep(summary))
            return
        }
        let starter = try procedure.starter(for: plan, summary)
        let recoveryClock = Stopwatch()
        say("starting PostgreSQL (log: \(starter.logFile))")
        try starter.start()
        let outcome = try starter.waitForTarget(action: options.action ?? RecoveryAction.defaultAction(for: plan.request.target),
                                                standbyFollowing: options.standby && plan.request.target == .latest)
        say("recovery: \(outcome.rawValue) after \(Stopwatch.text(recoveryClock.seconds))")
        if outcome == .paused, let held = plan.heldLocks {
            for line in try starter.readCheck(held) { say("  " + line) }
        }
        say("phases: plan \(Stopwatch.text(planSeconds)), download+extract \(Stopwatch.text(summary.seconds)), recovery to target \(Stopwatch.text(recoveryClock.seconds))")
    }
}
