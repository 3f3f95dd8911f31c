import PITRBackup
import PITRSupport

/// Which backups a policy keeps, and why, at one moment (docs/operations.md, "Retention").
///
/// For each periodic class with count N, the periods are the N latest ones counting back from
/// `now` (the period holding `now` is the first); in each, the backup that finished last
/// (by stop time) is kept. A backup may be kept by several classes. Marked backups are kept as
/// permanent, and the newest backup is always kept. Each cluster (system identifier and major) is
/// classified on its own, so after a pg_upgrade the old cluster keeps its newest backup too.
public struct RetentionClassification: Sendable {
    public struct Decision: Sendable {
        public let backup: BackupDescriptor
        /// Empty when the backup is to be deleted.
        public let classes: [RetentionClass]
        public var isKept: Bool { !classes.isEmpty }
        /// Kept for point-in-time recovery: WAL is kept continuously from its start.
        public var anchorsWindow: Bool { classes.contains(.daily) || classes.contains(.newest) }
    }

    public let policy: RetentionPolicy
    public let now: UTCTime
    /// One per backup, oldest stop time first.
    public let decisions: [Decision]

    public init(backups: [BackupDescriptor], permanent: Set<String>, policy: RetentionPolicy, now: UTCTime) {
        let sorted = backups.sorted { ($0.stopTime, $0.name) < ($1.stopTime, $1.name) }
        // Each cluster on its own: a pg_upgrade's new cluster must not make the old one's backups
        // expendable (its newest stays the newest of its cluster, with the WAL its window needs).
        var classes: [String: [RetentionClass]] = [:]
        for identity in Set(sorted.map(\.identity)) {
            let own = sorted.filter { $0.identity == identity }
            classes.merge(Self.classes(of: own, permanent: permanent, policy: policy, now: now)) { $0 + $1 }
        }
        self.policy = policy
        self.now = now
        self.decisions = sorted.map { Decision(backup: $0, classes: (classes[$0.name] ?? []).sorted()) }
    }

    /// The classes keeping each of one cluster's backups (`sorted`: oldest stop time first), by name.
    private static func classes(of sorted: [BackupDescriptor], permanent: Set<String>, policy: RetentionPolicy,
                                now: UTCTime) -> [String: [RetentionClass]] {
        var classes: [String: [RetentionClass]] = [:]
        for kind in RetentionClass.periodic {
            let count = Int64(policy.counts[kind] ?? 0)
            guard count > 0, let current = kind.period(of: now) else { continue }
            var newestInPeriod: [Int64: BackupDescriptor] = [:]
            for backup in sorted {
                guard let period = kind.period(of: backup.stopTime), period <= current, period > current - count else { continue }
                // Sorted oldest first: the last one seen in a period is its newest.
                newestInPeriod[period] = backup
            }
            for backup in newestInPeriod.values { classes[backup.name, default: []].append(kind) }
        }
        for backup in sorted where permanent.contains(backup.name) {
            classes[backup.name, default: []].append(.permanent)
        }
        if let newest = sorted.last { classes[newest.name, default: []].append(.newest) }
        return classes
    }

    public var kept: [Decision] { decisions.filter(\.isKept) }
    public var deleted: [Decision] { decisions.filter { !$0.isKept } }

    public func classes(of name: String) -> [RetentionClass] {
        decisions.first { $0.backup.name == name }?.classes ?? []
    }
}
