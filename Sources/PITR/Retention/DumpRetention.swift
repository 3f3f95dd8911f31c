import PITRDump
import PITRSupport

/// Which dump runs a policy keeps (`TAILTOWN_RETAIN_DUMPS`, by default `TAILTOWN_RETAIN`), and why, at one moment: the
/// same periods as backups (`RetentionClassification`), counted on each run's finish; the newest run is always kept.
public struct DumpRetention: Sendable {
    public let policy: RetentionPolicy
    public let now: UTCTime
    /// One per run, oldest first; empty classes: the next `delete` removes it.
    public let decisions: [(run: DumpRun, classes: [RetentionClass])]

    public init(runs: [DumpRun], policy: RetentionPolicy, now: UTCTime) {
        let sorted = runs.sorted { ($0.stopTime, $0.name) < ($1.stopTime, $1.name) }
        let classes = RetentionClassification.classes(of: sorted.map { ($0.name, $0.stopTime) }, permanent: [], policy: policy, now: now)
        self.policy = policy
        self.now = now
        decisions = sorted.map { ($0, (classes[$0.name] ?? []).sorted()) }
    }

    public func classes(of run: String) -> [RetentionClass] {
        decisions.first { $0.run.name == run }?.classes ?? []
    }

    public var deleted: [DumpRun] { decisions.filter { $0.classes.isEmpty }.map(\.run) }

    /// Until when the policy keeps `run` if no newer run is made (as a backup's, `RepositoryNeeds`); nil when it does not.
    public func until(_ run: String) -> RetentionExpiry? {
        guard let decision = decisions.first(where: { $0.run.name == run }) else { return nil }
        return decision.classes.compactMap { RepositoryNeeds.expiry(stoppedAt: decision.run.stopTime, kept: $0, policy: policy) }.max()
    }
}
