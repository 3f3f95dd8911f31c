import PITRBackup
import PITRSupport

/// Which backups a policy keeps, and why, at one moment (docs/operations.md, "Retention").
///
/// For each periodic class with count N, the periods are the N latest ones counting back from
/// `now` (the period holding `now` is the first); in each, the backup that finished last
/// (by stop time) is kept. A backup may be kept by several classes. Marked backups are kept as
/// permanent, and the newest backup is always kept. Each cluster (system identifier and major) is
/// classified on its own, so after a pg_upgrade the old cluster keeps its newest backup too.
///
/// Chains (docs/operations.md, "Incremental chains"): the classes choose among the backups that can be
/// restored (whose chain is complete). One that cannot (an ancestor is missing) is kept exactly when the
/// policy would keep it were it whole, but it anchors no window. Every ancestor of a kept backup is kept
/// as `parent`, whatever the policy says of it.
public struct RetentionClassification: Sendable {
    public struct Decision: Sendable {
        public let backup: BackupDescriptor
        /// Empty when the backup is to be deleted.
        public let classes: [RetentionClass]
        /// The kept backups whose parent this one is, oldest first.
        public let dependents: [String]
        /// Why this backup cannot be restored (its chain misses an ancestor); nil when it can.
        public let chainProblem: BackupChains.Break?
        public var isKept: Bool { !classes.isEmpty }
        /// Kept for point-in-time recovery: WAL is kept continuously from its start.
        public var anchorsWindow: Bool { chainProblem == nil && (classes.contains(.daily) || classes.contains(.newest)) }
        /// Kept only because a kept incremental needs it: the policy alone would delete it.
        public var isKeptOnlyAsParent: Bool { classes == [.parent] }
    }

    public let policy: RetentionPolicy
    public let now: UTCTime
    /// One per backup, oldest stop time first.
    public let decisions: [Decision]

    public init(backups: [BackupDescriptor], permanent: Set<String>, policy: RetentionPolicy, now: UTCTime) {
        let sorted = backups.sorted { ($0.stopTime, $0.name) < ($1.stopTime, $1.name) }
        let chains = BackupChains(sorted)
        // Each cluster on its own: a pg_upgrade's new cluster must not make the old one's backups
        // expendable (its newest stays the newest of its cluster, with the WAL its window needs).
        var classes: [String: [RetentionClass]] = [:]
        for identity in Set(sorted.map(\.identity)) {
            let own = sorted.filter { $0.identity == identity }
            let whole = own.filter(chains.isComplete)
            classes.merge(Self.classes(of: whole, permanent: permanent, policy: policy, now: now)) { $0 + $1 }
            if whole.count < own.count {
                // An unrestorable backup stays as long as the policy would keep it were it whole: its missing
                // ancestor may yet be put back. The whole ones fill the classes as if it were not there.
                let counted = Self.classes(of: own, permanent: permanent, policy: policy, now: now)
                for backup in own where !chains.isComplete(backup) { classes[backup.name] = counted[backup.name] }
            }
        }
        // Every ancestor of a kept backup is kept: without it the backup cannot be restored.
        var dependents: [String: Set<String>] = [:]
        for backup in sorted where classes[backup.name] != nil {
            var child = backup
            for ancestor in chains.ancestors(of: backup) {
                dependents[ancestor.name, default: []].insert(child.name)
                child = ancestor
            }
        }
        for name in dependents.keys { classes[name, default: []].append(.parent) }
        let order = Dictionary(sorted.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        self.policy = policy
        self.now = now
        self.decisions = sorted.map { backup in
            Decision(backup: backup, classes: (classes[backup.name] ?? []).sorted(),
                     dependents: (dependents[backup.name] ?? []).sorted { (order[$0] ?? 0) < (order[$1] ?? 0) },
                     chainProblem: chains.problem(of: backup))
        }
    }

    /// The classes keeping each of one cluster's backups (`sorted`: oldest stop time first), by name.
    private static func classes(of sorted: [BackupDescriptor], permanent: Set<String>, policy: RetentionPolicy,
                                now: UTCTime) -> [String: [RetentionClass]] {
        classes(of: sorted.map { ($0.name, $0.stopTime) }, permanent: permanent, policy: policy, now: now)
    }

    /// The classes keeping each of `sorted` (oldest first; each named and dated), by name: for each periodic class, the
    /// newest in each of its periods counted back from `now`; the named permanent; the newest of all. Backups of a
    /// cluster and dump runs are counted so.
    static func classes(of sorted: [(name: String, time: UTCTime)], permanent: Set<String>, policy: RetentionPolicy,
                        now: UTCTime) -> [String: [RetentionClass]] {
        var classes: [String: [RetentionClass]] = [:]
        for kind in RetentionClass.periodic {
            let count = Int64(policy.counts[kind] ?? 0)
            guard count > 0, let current = kind.period(of: now) else { continue }
            var newestInPeriod: [Int64: String] = [:]
            for item in sorted {
                guard let period = kind.period(of: item.time), period <= current, period > current - count else { continue }
                // Sorted oldest first: the last one seen in a period is its newest.
                newestInPeriod[period] = item.name
            }
            for name in newestInPeriod.values { classes[name, default: []].append(kind) }
        }
        for item in sorted where permanent.contains(item.name) {
            classes[item.name, default: []].append(.permanent)
        }
        if let newest = sorted.last { classes[newest.name, default: []].append(.newest) }
        return classes
    }

    public var kept: [Decision] { decisions.filter(\.isKept) }
    public var deleted: [Decision] { decisions.filter { !$0.isKept } }

    public func decision(of name: String) -> Decision? {
        decisions.first { $0.backup.name == name }
    }

    public func classes(of name: String) -> [RetentionClass] {
        decision(of: name)?.classes ?? []
    }
}
