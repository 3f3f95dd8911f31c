import PITRNative
import PITRSupport

/// The start of an incremental backup the server-side way (PostgreSQL 17 and later, `summarize_wal = on`; ask
/// `WALSummaryProbe` first): the parent's backup_manifest sent with UPLOAD_MANIFEST, then BASE_BACKUP ... INCREMENTAL
/// on the same connection. The stream it returns reads as a full backup's does (`BaseBackupStream`); its base.tar holds
/// `INCREMENTAL.<relfilenode>` files for what changed and a backup_label with `INCREMENTAL FROM LSN`.
enum IncrementalBaseBackup {
    /// Uploads `manifest`, backup `parent`'s backup_manifest (`BackupDescriptor.manifestSource`), and starts `statement`
    /// with INCREMENTAL. The server refuses before any data when its WAL summaries do not cover the WAL since `parent`
    /// started (it waits for its summarizer while that progresses); that, and any refusal of the manifest, is
    /// `BackupError.incrementalRefused` naming `parent`, after which the connection takes the next command: the caller
    /// can fall back to another way before anything is written.
    static func start(_ statement: BaseBackupStatement, parent: String, manifest: ByteSource, on connection: PostgresConnection,
                      interruption: InterruptSignal?) throws -> BaseBackupStream {
        try ManifestUpload.send(manifest, parent: parent, on: connection, interruption: interruption)
        var incremental = statement
        incremental.incremental = true
        do {
            return try BaseBackupStream(connection: connection, statement: incremental, interruption: interruption)
        } catch PostgresError.serverError(_, let message, _) {
            connection.discardResponses(to: incremental.text)
            throw BackupError.incrementalRefused(parent: parent, message: message)
        }
    }
}
