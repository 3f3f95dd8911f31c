import PITRSupport

/// A backup and the backups it needs to be restored: itself, its parent, the parent's parent... down to a full
/// backup, newest first (docs/format.md, "Incremental backups"). A full backup's chain is itself alone.
public struct BackupChain: Equatable, Sendable {
    /// Newest first; the last is the full backup.
    public let backups: [BackupDescriptor]

    public var newest: BackupDescriptor { backups[0] }
    public var full: BackupDescriptor { backups[backups.count - 1] }
    /// The names of the backups, newest first.
    public var names: [String] { backups.map(\.name) }

    /// The chain of `backup` among `backups` (those of a catalog's `scan`, in any order); `unreadable` names the
    /// backups whose descriptor could not be used. Throws `BackupChainError`, naming `backup`, for a parent that is
    /// missing, unusable, of another cluster or major, or a chain that loops.
    public init(of backup: BackupDescriptor, among backups: [BackupDescriptor], unreadable: [BackupCatalog.Unreadable] = []) throws {
        let (ancestors, problem) = BackupChains(backups, unreadable: unreadable).walk(backup)
        switch problem {
        case nil: self.backups = [backup] + ancestors
        case .missing(let parent)?: throw BackupChainError.missingParent(backup: backup.name, parent: parent)
        case .unusable(let parent, let reason)?: throw BackupChainError.unusableParent(backup: backup.name, parent: parent, reason: reason)
        case .otherCluster(let parent, let reason)?: throw BackupChainError.foreignParent(backup: backup.name, parent: parent, reason: reason)
        case .loop(let parent)?: throw BackupChainError.cycle(backup: backup.name, at: parent)
        }
    }

    /// The chain of backup `name` in `catalog`.
    public init(of name: String, in catalog: BackupCatalog) throws {
        let (backups, unreadable) = try catalog.scan()
        guard let backup = backups.first(where: { $0.name == name }) else {
            if let bad = unreadable.first(where: { $0.backup == name }) { throw bad.error }
            throw BackupChainError.missingParent(backup: name, parent: name)
        }
        try self.init(of: backup, among: backups, unreadable: unreadable)
    }
}
