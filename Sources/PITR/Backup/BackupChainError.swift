import PITRSupport

/// Why a backup's chain cannot be restored; each message names the backup and the parent at fault.
public enum BackupChainError: PITRError, Equatable {
    case missingParent(backup: String, parent: String)
    case unusableParent(backup: String, parent: String, reason: String)
    case foreignParent(backup: String, parent: String, reason: String)
    case cycle(backup: String, at: String)

    public var description: String {
        switch self {
        case .missingParent(let backup, let parent) where backup == parent:
            "backup \(backup) is not in the repository: see backup-list"
        case .missingParent(let backup, let parent):
            "backup \(backup) cannot be restored: it is incremental on backup \(parent), which is not in the repository (deleted by hand?); restore an older full backup or take a new full one"
        case .unusableParent(let backup, let parent, let reason):
            "backup \(backup) cannot be restored: its chain needs backup \(parent), whose descriptor cannot be used: \(reason)"
        case .foreignParent(let backup, let parent, let reason):
            "backup \(backup) cannot be restored: its parent \(parent) is not a backup it can be built on: \(reason); the repository was changed by hand"
        case .cycle(let backup, let at):
            "backup \(backup) cannot be restored: its chain of parents comes back to \(at) and never reaches a full backup; the repository was changed by hand"
        }
    }
}
