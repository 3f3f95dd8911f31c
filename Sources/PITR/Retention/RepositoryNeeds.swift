import PITRBackup
import PITRSupport
import PITRWAL

/// The one answer to "what needs this object, and until when" under a policy at a moment (docs/architecture.md,
/// "What needs each object"): `delete` removes what nothing needs; Object Lock, a second repository, dumps and
/// storage classes ask the same.
///
/// - each kept backup and why (`RetentionClassification`: its classes, the kept incrementals it is the parent of);
/// - the WAL each kept backup needs: its start to its stop, its `.backup` file and every `.history` file; a window
///   anchor (daily or newest, and restorable) needs everything from its start on, which is the PITR window's WAL;
/// - until when: for a periodic class, the end of the last period that counts it; for a parent, the latest
///   expiry of the backups that need it; permanent and newest, never. A WAL file is needed until the latest
///   expiry of the kept backups that need it.
public struct RepositoryNeeds: Sendable {
    /// A backup the policy keeps, until when, and the WAL it needs from its cluster's archive.
    public struct KeptBackup: Sendable {
        public let decision: RetentionClassification.Decision
        public let until: RetentionExpiry
        /// Nil when its cluster has no WAL archive in the repository.
        public let wal: WALRequirements?
        public var backup: BackupDescriptor { decision.backup }
    }

    public let classification: RetentionClassification
    /// Oldest stop time first.
    public let kept: [KeptBackup]

    public init(classification: RetentionClassification, archives: [RepositoryInventory.Archive]) {
        let decisions = Dictionary(classification.kept.map { ($0.backup.name, $0) }, uniquingKeysWith: { a, _ in a })
        var untils: [String: RetentionExpiry] = [:]
        func until(_ decision: RetentionClassification.Decision) -> RetentionExpiry {
            if let known = untils[decision.backup.name] { return known }
            // Dependents finish after their parent, so the recursion runs down each chain and ends; in a loop of
            // parents (a damaged catalog, every backup on it unrestorable) it ends here.
            untils[decision.backup.name] = .at(classification.now)
            var latest = decision.classes.compactMap { Self.expiry(stoppedAt: decision.backup.stopTime, kept: $0, policy: classification.policy) }.max()
            for dependent in decision.dependents.compactMap({ decisions[$0] }) {
                latest = max(latest ?? .at(classification.now), until(dependent))
            }
            let result = latest ?? .at(classification.now)
            untils[decision.backup.name] = result
            return result
        }
        self.classification = classification
        kept = classification.kept.map { decision in
            let archive = archives.first { $0.identity == decision.backup.identity }
            return KeptBackup(decision: decision, until: until(decision), wal: archive.map {
                WALRequirements(anchors: decision.anchorsWindow ? [decision.backup] : [], others: decision.anchorsWindow ? [] : [decision.backup],
                                histories: $0.histories, segmentSize: $0.index.segmentSize)
            })
        }
    }

    /// The first moment what stopped at `stopTime`, kept as `kind`, no longer is: the start of the period after the last
    /// that counts it; nil for `parent`, which takes its dependents' expiry.
    static func expiry(stoppedAt stopTime: UTCTime, kept kind: RetentionClass, policy: RetentionPolicy) -> RetentionExpiry? {
        switch kind {
        case .permanent, .newest:
            return .never
        case .parent:
            return nil
        case .daily, .weekly, .monthly, .yearly:
            guard let period = kind.period(of: stopTime), let end = kind.start(ofPeriod: period + Int64(policy.counts[kind] ?? 0)) else { return nil }
            return .at(end)
        }
    }

    public func kept(_ name: String) -> KeptBackup? {
        kept.first { $0.backup.name == name }
    }

    /// Until when a kept backup needs `file` of `cluster`'s archive; nil when none does.
    public func until(_ file: WALFileName, of cluster: ClusterIdentity) -> RetentionExpiry? {
        kept.filter { $0.backup.identity == cluster && $0.wal?.needs(file) == true }.map(\.until).max()
    }

    /// Whether a kept backup needs `file` of `cluster`'s archive.
    public func needs(_ file: WALFileName, of cluster: ClusterIdentity) -> Bool {
        kept.contains { $0.backup.identity == cluster && $0.wal?.needs(file) == true }
    }
}
