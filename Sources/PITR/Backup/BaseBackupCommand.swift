/// How the server's backup-start checkpoint runs.
public enum CheckpointMode: String, CaseIterable, Sendable {
    /// As fast as possible (the default: a backup should start now).
    case fast
    /// Spread over checkpoint_completion_target, lighter on a busy server.
    case spread
}

/// The BASE_BACKUP replication command in the syntax of the server's version.
///
/// Always with PROGRESS (the size estimate drives the progress bar), MANIFEST 'yes' (stored with
/// the backup, checked by pg_verifybackup) and without the server's own wait for WAL archiving,
/// which is unbounded: `backup-push` waits for the WAL itself, with a limit.
struct BaseBackupCommand: Equatable {
    let label: String
    let checkpoint: CheckpointMode
    /// The server's version number (150004 for 15.4).
    let serverVersion: Int

    /// PostgreSQL 15 introduced the parenthesized option list and the single COPY stream
    /// with typed messages (TARGET 'client'); 13 and 14 only know the older keywords.
    var usesTypedCopyStream: Bool { serverVersion >= 150000 }

    var text: String {
        let quotedLabel = "'" + label.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
        if usesTypedCopyStream {
            return "BASE_BACKUP ( LABEL \(quotedLabel), PROGRESS, CHECKPOINT '\(checkpoint.rawValue)', WAIT false, MANIFEST 'yes', TARGET 'client' )"
        }
        return "BASE_BACKUP LABEL \(quotedLabel) PROGRESS" + (checkpoint == .fast ? " FAST" : "") + " NOWAIT MANIFEST 'yes'"
    }
}
