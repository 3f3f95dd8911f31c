import PITRSupport

/// Where PostgreSQL's data directory is, seen from a path it passed to archive_command or restore_command.
/// PostgreSQL runs both in the data directory with paths like `pg_wal/000000010000000000000001`
/// or `pg_wal/RECOVERYXLOG`; a path inside some `pg_wal` folder names its data directory,
/// anything else means the current directory.
public enum DataDirectory {
    public static func containing(walPath path: String) -> String {
        let folder = FileSystem.dirname(of: path)
        guard FileSystem.basename(of: folder) == "pg_wal" else { return "." }
        return FileSystem.dirname(of: folder)
    }

    /// A standby keeps following the archive after "not found" and can fall back to streaming.
    public static func isStandby(_ dataDirectory: String) -> Bool {
        FileSystem.exists(dataDirectory + "/standby.signal")
    }
}
