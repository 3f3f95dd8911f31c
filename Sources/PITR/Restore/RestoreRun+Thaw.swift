import PITRStorage
import PITRSupport

extension RestoreRun {
    /// How `restore` treats objects of the plan that lie in an archive storage class.
    public enum ThawChoice: Sendable, Equatable {
        /// Restore only if every one is readable already (thawed before).
        case none
        /// `--thaw TIER --thaw-days N`: request the thaw of those not readable.
        case request(ThawTier, days: Int)
        /// `--resume`: a thaw was requested before; request nothing, go on once it is done.
        case resume
    }

    /// Makes the plan's archived objects readable before anything is written, or throws `ThawError` (nothing written):
    /// `.notThawed` when some was never asked for, `.pending` while the thaw is under way and `thawCheckSeconds` is
    /// nil; otherwise checks again every `thawCheckSeconds` until it is done. A dry run only says where it stands.
    func thaw(_ plan: RestorePlan, say: (String) -> Void) throws {
        guard !plan.archived.isEmpty else {
            if case .request = thawChoice { say("thaw: nothing the restore reads is in an archive storage class") }
            return
        }
        let thaw = PlanThaw(storage: procedure.repository.storage, objects: plan.archived)
        var progress = try thaw.progress()
        say(progress.text)
        if dryRun || progress.isDone { return }
        if case .request(let tier, let days) = thawChoice {
            say(try thaw.request(tier: tier, days: days, after: progress))
            progress = try thaw.progress()
            say(progress.text)
        }
        while !progress.isDone {
            if let first = progress.notRequested.first {
                throw ThawError.notThawed(count: progress.notRequested.count, object: procedure.repository.storage.describe(first.key))
            }
            if thawChoice == .none {
                throw ThawError.notThawed(count: progress.ongoing.count, object: procedure.repository.storage.describe(progress.ongoing[0].key))
            }
            guard let seconds = thawCheckSeconds else { throw ThawError.pending(progress: progress.text) }
            MonotonicClock.sleep(seconds: seconds)
            progress = try thaw.progress()
            say(progress.text)
        }
    }
}
