import PITRSupport

/// Each backup's chain in a catalog: the backup, its parent, the parent's parent... down to a full backup
/// (docs/operations.md, "Incremental chains"). Restoring an incremental needs every backup of its chain.
public struct BackupChains: Sendable {
    /// Why a chain cannot be restored.
    public enum Break: Equatable, Sendable, CustomStringConvertible {
        /// An ancestor is not in the catalog (a full backup deleted by hand, say).
        case missing(ancestor: String)
        /// An ancestor's descriptor cannot be used (damaged, or sealed under a key not configured).
        case unusable(ancestor: String, reason: String)
        /// An ancestor belongs to another cluster (system identifier or major), or does not start before its child.
        case otherCluster(ancestor: String, reason: String)
        /// The parents lead back to a backup already on the chain: no full backup ends it.
        case loop(ancestor: String)

        public var ancestor: String {
            switch self {
            case .missing(let name), .unusable(let name, _), .otherCluster(let name, _), .loop(let name): name
            }
        }

        public var description: String {
            switch self {
            case .missing(let name): "its chain needs \(name), which is not in the repository"
            case .unusable(let name, let reason): "its chain needs \(name), whose descriptor cannot be used: \(reason)"
            case .otherCluster(let name, let reason): "its chain needs \(name), which is not a backup it can be built on: \(reason)"
            case .loop(let name): "its chain leads back to \(name) and never reaches a full backup"
            }
        }
    }

    private let byName: [String: BackupDescriptor]
    /// Backups whose descriptor cannot be used, with why.
    private let unusable: [String: String]

    /// `unreadable`: the backups of a catalog's `scan` whose descriptor cannot be used.
    public init(_ backups: [BackupDescriptor], unreadable: [BackupCatalog.Unreadable] = []) {
        byName = Dictionary(backups.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        unusable = Dictionary(unreadable.map { ($0.backup, ($0.error as? any PITRError)?.description ?? "\($0.error)") },
                              uniquingKeysWith: { first, _ in first })
    }

    /// The ancestors of `backup` in the catalog, its parent first, down to the full backup or to the link that breaks.
    public func ancestors(of backup: BackupDescriptor) -> [BackupDescriptor] {
        walk(backup).ancestors
    }

    /// Why the chain of `backup` cannot be restored; nil when every ancestor down to a full backup is there.
    public func problem(of backup: BackupDescriptor) -> Break? {
        walk(backup).problem
    }

    public func isComplete(_ backup: BackupDescriptor) -> Bool { problem(of: backup) == nil }

    /// The backups a restore of `backup` reads: 1 for a full backup (or one whose parent is gone), 1 + its ancestors found.
    public func length(of backup: BackupDescriptor) -> Int { 1 + ancestors(of: backup).count }

    /// The full backup at the root of a complete chain (`backup` itself when full); nil when the chain is broken.
    public func root(of backup: BackupDescriptor) -> BackupDescriptor? {
        let (ancestors, problem) = walk(backup)
        return problem == nil ? ancestors.last ?? backup : nil
    }

    /// The ancestors found, parent first, and what broke the walk, if anything.
    func walk(_ backup: BackupDescriptor) -> (ancestors: [BackupDescriptor], problem: Break?) {
        var ancestors: [BackupDescriptor] = []
        var seen: Set<String> = [backup.name]
        var current = backup
        while let name = current.parent {
            guard seen.insert(name).inserted else { return (ancestors, .loop(ancestor: name)) }
            if let reason = unusable[name] { return (ancestors, .unusable(ancestor: name, reason: reason)) }
            guard let parent = byName[name] else { return (ancestors, .missing(ancestor: name)) }
            guard parent.identity == backup.identity else {
                return (ancestors, .otherCluster(ancestor: name, reason: "it is of \(parent.identity), the backup of \(backup.identity)"))
            }
            guard parent.startLSN < current.startLSN else {
                return (ancestors, .otherCluster(ancestor: name, reason: "it starts at \(parent.startLSN), not before its child \(current.name) (\(current.startLSN))"))
            }
            ancestors.append(parent)
            current = parent
        }
        return (ancestors, nil)
    }
}
