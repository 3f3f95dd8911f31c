/// Each backup's chain in a catalog: the backup, its parent, the parent's parent... down to a full backup
/// (docs/operations.md, "Incremental chains"). Restoring an incremental needs every backup of its chain.
public struct BackupChains: Sendable {
    /// Why a chain cannot be restored.
    public enum Break: Equatable, Sendable, CustomStringConvertible {
        /// An ancestor is not in the catalog (a full backup deleted by hand, say).
        case missing(ancestor: String)
        /// An ancestor belongs to another cluster (system identifier or major).
        case otherCluster(ancestor: String)
        /// The parents lead back to a backup already on the chain: no full backup ends it.
        case loop(ancestor: String)

        public var ancestor: String {
            switch self {
            case .missing(let name), .otherCluster(let name), .loop(let name): name
            }
        }

        public var description: String {
            switch self {
            case .missing(let name): "its chain needs \(name), which is not in the repository"
            case .otherCluster(let name): "its chain needs \(name), which is a backup of another cluster"
            case .loop(let name): "its chain leads back to \(name) and never reaches a full backup"
            }
        }
    }

    private let byName: [String: BackupDescriptor]

    public init(_ backups: [BackupDescriptor]) {
        byName = Dictionary(backups.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
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

    private func walk(_ backup: BackupDescriptor) -> (ancestors: [BackupDescriptor], problem: Break?) {
        var ancestors: [BackupDescriptor] = []
        var seen: Set<String> = [backup.name]
        var current = backup
        while let name = current.parent {
            guard let parent = byName[name] else { return (ancestors, .missing(ancestor: name)) }
            guard parent.identity == backup.identity else { return (ancestors, .otherCluster(ancestor: name)) }
            guard seen.insert(name).inserted else { return (ancestors, .loop(ancestor: name)) }
            ancestors.append(parent)
            current = parent
        }
        return (ancestors, nil)
    }
}
