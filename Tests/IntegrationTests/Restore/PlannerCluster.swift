import Foundation
import PITRRepository
import PITRRestore
import PITRStorage
import PITRSupport
import PITRWAL

/// A PostgreSQL 15 primary archiving through tailtown-pitr (lz4, unencrypted) with a table `t` and
/// one `backup-push` backup, and a planner over its repository with the real `ArchiveEventLocator`.
struct PlannerCluster {
    let tailtown: Tailtown
    let primary: PostgresCluster
    let repository: PITRRepository.Repository
    let planner: RestorePlanner

    static func make() throws -> PlannerCluster {
        let sandbox = try Sandbox()
        let tailtown = try Tailtown.configure(in: sandbox, compression: "lz4", encrypted: false)
        let primary = try PostgresCluster.initialize(in: sandbox, name: "primary")
        try primary.archive(through: tailtown)
        try primary.configure([("checkpoint_timeout", "1d"), ("max_wal_size", "4GB")])
        try primary.start()
        _ = try primary.query("create table t (id int)")
        let repository = PITRRepository.Repository(storage: FileStorage(root: tailtown.repository.root), key: nil)
        let cluster = PlannerCluster(tailtown: tailtown, primary: primary, repository: repository,
                                     planner: RestorePlanner(repository: repository, log: Log(level: .error)))
        _ = try cluster.backupPush()
        return cluster
    }

    /// One more `backup-push` of the primary.
    func backupPush() throws -> String {
        try tailtown.sandbox.tailtown(["--config", tailtown.configFile, "backup-push", "--dbname", primary.conninfo]).check()
    }

    /// The server's clock now, in UTC.
    static func clock(_ cluster: PostgresCluster) throws -> PostgresTimestamp {
        try PostgresTimestamp(parsing: try cluster.query(
            "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"))
    }
}
