import PITRNative
import PITRWAL

/// What the server says about its archiving, for `check`: where it writes WAL now and what
/// pg_stat_archiver last recorded. Read over a normal (non-replication) libpq connection.
public struct ServerArchiveState: Equatable, Sendable {
    public let identity: ClusterIdentity
    public let currentLSN: LSN
    /// Set when the archiver's last failure is more recent than its last success.
    public let failingWAL: String?
    public let failingSince: String?

    public init(identity: ClusterIdentity, currentLSN: LSN, failingWAL: String?, failingSince: String?) {
        self.identity = identity
        self.currentLSN = currentLSN
        self.failingWAL = failingWAL
        self.failingSince = failingSince
    }

    public static func read(from connection: PostgresConnection) throws -> ServerArchiveState {
        // On a standby pg_current_wal_lsn() fails; the replay position is where its WAL stands.
        let rows = try connection.query("""
            SELECT (SELECT system_identifier FROM pg_control_system())::text AS system_identifier,
                   current_setting('server_version_num') AS version,
                   CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text AS lsn,
                   last_failed_wal, last_failed_time::text AS last_failed_time,
                   coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false)::text AS failing
            FROM pg_stat_archiver
            """)
        guard let system = rows.value("system_identifier").flatMap(UInt64.init), let version = rows.value("version").flatMap(Int.init),
              let lsnText = rows.value("lsn") else {
            throw PostgresError.unexpectedResponse(command: "SELECT", response: "answer without a system identifier, version or WAL position")
        }
        let failing = rows.value("failing") == "true"
        return ServerArchiveState(identity: ClusterIdentity(majorVersion: PostgreSQLMajor.major(serverVersion: version), systemIdentifier: system),
                                  currentLSN: try LSN(parsing: lsnText),
                                  failingWAL: failing ? rows.value("last_failed_wal") : nil,
                                  failingSince: failing ? rows.value("last_failed_time") : nil)
    }
}
