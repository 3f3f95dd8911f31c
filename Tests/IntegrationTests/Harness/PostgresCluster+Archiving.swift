import Foundation

extension PostgresCluster {
    /// `pg_control_system().system_identifier`, which names the cluster's archive in the repository.
    func systemIdentifier() throws -> String {
        try query("select system_identifier from pg_control_system()")
    }

    /// Forces a segment switch and returns the name of the segment just completed (the last one to archive).
    func switchWAL() throws -> String {
        try query("select pg_walfile_name(pg_switch_wal())")
    }

    /// Turns archiving on through `tailtown`'s archive_command.
    func archive(through tailtown: Tailtown) throws {
        try configure([("archive_mode", "on"), ("archive_command", tailtown.archiveCommand)])
    }

    /// Waits until `pg_stat_archiver.last_archived_wal` reaches `segment`; fails at once when an archive_command failed,
    /// with the server log (where tailtown-pitr's messages go).
    func waitUntilArchived(_ segment: String, seconds: Int = 120) throws {
        try waitUntil("pg_stat_archiver.last_archived_wal to reach \(segment)", seconds: seconds, detail: { logTail() }) {
            let fields = try query("select coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, '') from pg_stat_archiver")
                .split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { throw HarnessError.system("unexpected pg_stat_archiver row: \(fields)") }
            if fields[1] != "0" { throw HarnessError.archivingFailed(segment: fields[2], serverLog: logTail()) }
            return fields[0].prefix(24) >= segment.prefix(24)
        }
    }

    /// `pg_stat_archiver.failed_count`.
    func archiveFailures() throws -> Int {
        Int(try query("select failed_count from pg_stat_archiver")) ?? -1
    }

    /// Recovers through `tailtown`'s restore_command to the end of the archive (the latest timeline), promotes and
    /// waits for it. Archiving is off unless `archiving`, so that the copy archives no timeline of its own into the
    /// repository; recovery.signal is created unless `recoverySignalPresent`.
    func recover(through tailtown: Tailtown, archiving: Bool = false, recoverySignalPresent: Bool = false) throws {
        try configure((archiving ? [] : [("archive_mode", "off")]) + [
            ("restore_command", tailtown.restoreCommand),
            ("recovery_target_timeline", "latest"),
            ("recovery_target_action", "promote"),
        ])
        if !recoverySignalPresent { try requestRecovery() }
        try start()
        try waitUntilPromoted()
    }

    /// Waits until recovery has ended and the cluster was promoted; fails early if the server stopped.
    func waitUntilPromoted(seconds: Int = 300) throws {
        try waitUntil("the end of recovery (pg_is_in_recovery() = false)", seconds: seconds, detail: { logTail() }) {
            if let state = try? query("select pg_is_in_recovery()") { return state == "f" }
            if !postmasterIsAlive { throw HarnessError.system("the server stopped during recovery; server log tail:\n\(logTail())") }
            return false
        }
    }
}
