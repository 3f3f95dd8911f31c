import PITRBackup
import PITRRepository
import PITRSupport
import PITRWAL

/// Turns a `RestoreRequest` into a proven `RestorePlan`, reading only the repository's backup
/// descriptors, one listing of the WAL archive, its history files and (for `.time`, `.xid`,
/// `.name` and `.latest`) the few WAL segments the locator decodes. Nothing is written.
///
/// The rules (docs/recovery.md, "How the plan is made"): the target timeline follows
/// `--timeline`; the backup is the newest finished one on a line of timelines that leads to the
/// target and that ended before it; every segment from the backup's start to the stop point, read
/// from the timeline PostgreSQL reads it from, must be in the archive listing.
public struct RestorePlanner {
    let repository: Repository
    let locator: (ArchiveIndex) -> WALEventLocator
    let log: Log
    /// The WAL in archive storage classes is thawed: the plan may decode it (`RestorePlan.heldLocks`).
    public var archivedReadable = false

    /// `locator` builds the WAL event locator for the archive the planner picks (by default one
    /// that decodes the archived segments; tests give synthetic ones).
    public init(repository: Repository, locator: @escaping (ArchiveIndex) -> WALEventLocator = { ArchiveEventLocator(index: $0) }, log: Log) {
        self.repository = repository
        self.locator = locator
        self.log = log
    }

    /// The plan for `request`, or the `RestorePlanError` that says why there is none.
    ///
    /// A repository may hold several clusters (a pg_upgrade's old and new one). `--backup` or
    /// `--cluster` names one; otherwise each cluster is planned for, and the target must lie in
    /// exactly one's reach: a target two could serve is refused, naming them, never guessed.
    public func plan(_ request: RestoreRequest) throws -> RestorePlan {
        // A damaged or planted descriptor leaves its backup out, loudly, rather than stopping every restore.
        let (scanned, unreadable) = try BackupCatalog(repository: repository).scan()
        for backup in unreadable { log.warning("backup \(backup.backup) is left out of the plan: \(backup.error)") }
        // An incremental whose chain is broken cannot be restored: left out the same way, or refused when named.
        var all: [BackupDescriptor] = []
        var chains: [String: BackupChain] = [:]
        var broken: BackupChainError?
        for backup in scanned {
            do {
                chains[backup.name] = try BackupChain(of: backup, among: scanned, unreadable: unreadable)
                all.append(backup)
            } catch let error as BackupChainError {
                if backup.name == request.backupName { throw error }
                log.warning("backup \(backup.name) is left out of the plan: \(error)")
                broken = broken ?? error
            }
        }
        guard !all.isEmpty else {
            if let first = unreadable.first { throw first.error }
            if let broken { throw broken }
            throw RestorePlanError.noBackups(repository: repository.name)
        }
        let clusters = Self.clusters(of: all)
        if let name = request.backupName {
            guard let named = all.first(where: { $0.name == name }) else {
                throw RestorePlanError.unknownBackup(name: name, available: all.map(\.name))
            }
            if let cluster = request.cluster, cluster != named.identity {
                throw RestorePlanError.backupOfAnotherCluster(name: name, cluster: named.identity.archiveID, requested: cluster.archiveID)
            }
            return try plan(request, backups: [named], chains: chains)
        }
        if let cluster = request.cluster {
            guard clusters.contains(cluster) else {
                throw RestorePlanError.unknownCluster(cluster.archiveID, known: clusters.map(\.archiveID))
            }
            return try plan(request, backups: all.filter { $0.identity == cluster }, chains: chains)
        }
        guard clusters.count > 1 else { return try plan(request, backups: all, chains: chains) }
        var plans: [RestorePlan] = []
        var refusals: [ClusterIdentity: any Error] = [:]
        for cluster in clusters {
            do {
                plans.append(try plan(request, backups: all.filter { $0.identity == cluster }, chains: chains))
            } catch let error as RestorePlanError where error.placesTargetOutside {
                refusals[cluster] = error
            } catch let error as WALError where error.isUnsupportedMajor {
                // A cluster of a major this build does not know serves no target; the others still may.
                refusals[cluster] = error
            }
        }
        if plans.count == 1 { return plans[0] }
        if plans.count > 1 {
            throw RestorePlanError.ambiguousCluster(target: request.target.text, clusters: plans.map { $0.backup.identity.archiveID })
        }
        // No cluster reaches it: the one the target most likely meant says why.
        let likely = (Self.identityHint(all, request.target) ?? all[all.count - 1]).identity
        throw refusals[likely] ?? RestorePlanError.noBackups(repository: repository.name)
    }

    /// The plan over `backups` (all of one cluster), reading that cluster's archive; `chains` gives what restoring
    /// each reads (an incremental's whole chain), and so what it would download and which of it is archived.
    private func plan(_ request: RestoreRequest, backups: [BackupDescriptor], chains: [String: BackupChain]) throws -> RestorePlan {
        let identity = backups[0].identity
        try PostgreSQLMajor.require(identity.majorVersion, from: "backup \(backups[0].name)")
        let index = try ArchiveIndex.load(repository: repository, identity: identity)
        let tree = try TimelineTree.load(from: index)
        for timeline in Set(index.files.keys.map(\.timeline)).sorted() where !tree.contains(timeline) {
            log.warning("\(repository.storage.describe(index.archive.folder)) holds WAL of timeline \(timeline) but no \(WALFileName.history(timeline).fileName): recovery cannot follow that timeline; archive its history file")
        }
        log.debug("planning over \(backups.count) backup(s) of \(identity), \(index.files.count) archived WAL file(s), timelines \(tree.timelines.map(\.description).joined(separator: ","))")
        let planner = ClusterPlanner(request: request, index: index, tree: tree, locator: locator(index),
                                     backups: backups, forced: request.backupName != nil,
                                     chainStoredBytes: chains.mapValues { $0.backups.reduce(0) { $0 + $1.storedBytes } },
                                     archivedReadable: archivedReadable)
        var plan = try planner.plan()
        if plan.heldLocks != nil {
            plan.heldLocks?.name(from: Result { try RelationNames(of: plan.backup, in: repository) }, backup: plan.backup.name)
        }
        if let chain = chains[plan.backup.name] {
            plan.archived = try ArchivedObject.needed(by: plan, chain: chain, index: index, storage: repository.storage)
        }
        return plan
    }

    /// The clusters that have backups, oldest newest backup first.
    static func clusters(of backups: [BackupDescriptor]) -> [ClusterIdentity] {
        var seen: [ClusterIdentity] = []
        for backup in backups.reversed() where !seen.contains(backup.identity) { seen.append(backup.identity) }
        return seen.reversed()
    }

    /// For a time target, the newest backup that ended before it.
    private static func identityHint(_ backups: [BackupDescriptor], _ target: RecoveryTarget) -> BackupDescriptor? {
        guard case .time(let time) = target else { return nil }
        return backups.last { ClusterPlanner.ended($0, before: time) }
    }
}
