/// How the server's backup-start checkpoint runs.
public enum CheckpointMode: String, CaseIterable, Sendable {
    /// As fast as possible (the default: a backup should start now).
    case fast
    /// Spread over checkpoint_completion_target, lighter on a busy server.
    case spread
}

/// The BASE_BACKUP statement sent on the replication connection, in the parenthesized syntax of PostgreSQL 15 and later, whose
/// answer is one COPY stream of typed messages (TARGET 'client').
///
/// Always with PROGRESS (the size estimate drives the progress bar), MANIFEST 'yes' (stored with
/// the backup, checked by pg_verifybackup) and without the server's own wait for WAL archiving,
/// which is unbounded: `backup-push` waits for the WAL itself, with a limit.
///
/// `incremental` adds INCREMENTAL (PostgreSQL 17 and later): the server sends only what changed since the backup whose
/// manifest this connection uploaded before (`ManifestUpload`), relation files as `INCREMENTAL.<name>` files, and a
/// backup_label with `INCREMENTAL FROM LSN` and `INCREMENTAL FROM TLI` lines; the stream has the same shape.
struct BaseBackupStatement: Equatable {
    let label: String
    let checkpoint: CheckpointMode
    var incremental = false
    var text: String {
        let quotedLabel = "'" + label.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
        return "BASE_BACKUP ( LABEL \(quotedLabel), PROGRESS, CHECKPOINT '\(checkpoint.rawValue)', WAIT false, MANIFEST 'yes', TARGET 'client'"
            + (incremental ? ", INCREMENTAL )" : " )")
    }
}
