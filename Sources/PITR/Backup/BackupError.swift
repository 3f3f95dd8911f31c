import PITRSupport

/// Why `backup-push` or `backup-list` failed; each message says what to check.
public enum BackupError: PITRError, Equatable {
    case cannotConnect(message: String)
    case refused(message: String)
    case protocolViolation(String)
    case nameTaken(object: String)
    case walNotArchived(file: String, object: String, seconds: Int, archiverFailure: String?)
    case interrupted
    case unreadableDescriptor(object: String, reason: String)
    /// A backup's relation names (`RelationNames`) cannot be parsed.
    case unreadableNames(object: String, reason: String)
    /// The parent chosen for an incremental backup cannot be one.
    case parentUnusable(backup: String, reason: String)
    /// The server refused UPLOAD_MANIFEST or BASE_BACKUP ... INCREMENTAL on top of backup `parent`, before any data:
    /// nothing was stored, and the caller may take the backup another way.
    case incrementalRefused(parent: String, message: String)
    case noManifest(backup: String)
    /// `--type incremental` with no backup to take it on.
    case noParent(reason: String)

    public var description: String {
        switch self {
        case .cannotConnect(let message):
            "cannot connect to PostgreSQL: \(message)" + Self.connectionHint(message)
        case .refused(let message):
            "PostgreSQL refused the base backup: \(message)" + Self.connectionHint(message)
        case .protocolViolation(let detail):
            "unexpected replication protocol data from PostgreSQL: \(detail)"
        case .nameTaken(let object):
            "backup object \(object) already exists: another backup-push started in the same second; retry"
        case .walNotArchived(let file, let object, let seconds, let failure):
            "WAL file \(file) needed by this backup is not in the repository (\(object)) after \(seconds) s"
                + (failure.map { "; the archiver last failed on \($0)" } ?? "")
                + ": check archive_mode, archive_command and pg_stat_archiver; the backup is not listed"
        case .interrupted:
            "backup interrupted: the upload was aborted and the backup is not listed"
        case .unreadableDescriptor(let object, let reason):
            "backup descriptor \(object) is unreadable: \(reason)"
        case .unreadableNames(let object, let reason):
            "the relation names \(object) are unreadable: \(reason)"
        case .parentUnusable(let backup, let reason):
            "backup \(backup) cannot be the parent of an incremental backup: \(reason); nothing was stored (take a full backup with --type full)"
        case .incrementalRefused(let parent, let message):
            "PostgreSQL refused an incremental backup on top of backup \(parent) from its WAL summaries: \(message)"
        case .noManifest(let backup):
            "backup \(backup) holds no backup_manifest, which an incremental backup on top of it needs"
        case .noParent(let reason):
            "an incremental backup needs a parent, and none can be one: \(reason); take a full backup (--type full)"
        }
    }

    /// A hint for the failures people meet first, recognized by the server's message text.
    static func connectionHint(_ message: String) -> String {
        let text = message.lowercased()
        if text.contains("max_wal_senders") || text.contains("wal_level") {
            return " (hint: base backups need wal_level = replica or logical and max_wal_senders above the number of replication connections in use; both need a restart)"
        }
        if text.contains("superuser or replication role") || text.contains("permission denied") || text.contains("replication privilege") {
            return " (hint: connect as a role WITH REPLICATION, e.g. ALTER ROLE name REPLICATION)"
        }
        if text.contains("pg_hba.conf") {
            return " (hint: pg_hba.conf needs a 'replication' line for this user and host)"
        }
        if text.contains("password") {
            return " (hint: set PGPASSWORD or a ~/.pgpass line for this host, port, 'replication' and user)"
        }
        if text.contains("no such file") || text.contains("connection refused") || text.contains("could not connect") || text.contains("could not translate") {
            return " (hint: is the server running? set PGHOST and PGPORT, or --dbname 'host=... port=...')"
        }
        return ""
    }
}
