import PITRWAL

/// Where a restore stops replaying WAL: the one target of `restore` (PostgreSQL's
/// `recovery_target_*` settings, or none for `latest`).
public enum RecoveryTarget: Equatable, Sendable {
    /// The end of the archived WAL on the chosen timeline; no recovery_target_* setting.
    case latest
    /// recovery_target = 'immediate': the end of the base backup, the earliest consistent point.
    case immediate
    /// recovery_target_time: stop at the first commit or abort whose time lies after it
    /// (at or after it with `exclusive`).
    case time(PostgresTimestamp)
    /// recovery_target_lsn.
    case lsn(LSN)
    /// recovery_target_xid: stop at that transaction's commit or abort record.
    case xid(UInt32)
    /// recovery_target_name: stop at the restore point (pg_create_restore_point) of that name.
    case name(String)
}

/// `--timeline`: which timeline recovery follows (recovery_target_timeline, always written as a number).
public enum TimelineChoice: Equatable, Sendable {
    /// No `--timeline`: as `latest`, but a target found on more than one timeline is refused,
    /// naming them, until `--timeline` picks one.
    case automatic
    /// The newest timeline in the archive whose history leads through the chosen backup.
    case latest
    /// The backup's own timeline.
    case current
    case number(TimelineID)
}

/// What the user asked `restore` for, before planning.
public struct RestoreRequest: Equatable, Sendable {
    public var target: RecoveryTarget
    public var timeline: TimelineChoice
    /// `--backup NAME`: use this backup instead of choosing one.
    public var backupName: String?
    /// `--exclusive`: stop just before the target instead of just after it.
    public var exclusive: Bool
    /// `--cluster <major>-<system identifier>`: restore that cluster when the repository holds several.
    public var cluster: ClusterIdentity?

    public init(target: RecoveryTarget, timeline: TimelineChoice = .automatic, backupName: String? = nil, exclusive: Bool = false,
                cluster: ClusterIdentity? = nil) {
        self.target = target
        self.timeline = timeline
        self.backupName = backupName
        self.exclusive = exclusive
        self.cluster = cluster
    }
}
