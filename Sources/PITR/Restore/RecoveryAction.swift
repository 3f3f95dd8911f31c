/// recovery_target_action: what PostgreSQL does once it reaches the target.
public enum RecoveryAction: String, CaseIterable, Sendable {
    /// Stay in recovery, read-only, until someone runs `SELECT pg_wal_replay_resume()`.
    case pause
    /// End recovery and open for writes on a new timeline.
    case promote
    /// Stop the server; starting it again replays to the same target.
    case shutdown

    /// `pause` for an explicit target, so a person can look before promoting; `promote` for
    /// `latest` (PostgreSQL ignores the action without a target: it promotes at the end of the archive).
    public static func defaultAction(for target: RecoveryTarget) -> RecoveryAction {
        target == .latest ? .promote : .pause
    }
}
