import PITRRetention
import PITRSupport
import PITRWAL

/// One cluster a repository archives (`wal/<major>-<system identifier>/`), as `status` and `check`
/// show it: a pg_upgrade leaves two, the old one with its backups and the new one archiving.
public struct ClusterSummary: Sendable {
    public let identity: ClusterIdentity
    /// Its finished backups.
    public let backups: Int
    public let newestBackup: String?
    public let newestSegment: WALSegmentName?
    public let newestSegmentTime: UTCTime?

    /// Every cluster with an archive or a backup, the current one last: by major, then by when its
    /// newest segment was archived (a pg_upgrade's new cluster has the newer major).
    static func all(in inventory: RepositoryInventory) -> [ClusterSummary] {
        let identities = Set(inventory.archives.map(\.identity)).union(inventory.backups.map(\.identity))
        return identities.map { identity in
            let own = inventory.backups.filter { $0.identity == identity }
            let newest = inventory.archives.first { $0.identity == identity }.flatMap { inventory.newestSegment(of: $0) }
            return ClusterSummary(identity: identity, backups: own.count, newestBackup: own.last?.name,
                                  newestSegment: newest?.name, newestSegmentTime: newest?.object.lastModified)
        }.sorted {
            ($0.identity.majorVersion, $0.newestSegmentTime?.secondsSinceEpoch ?? 0, $0.identity.systemIdentifier)
                < ($1.identity.majorVersion, $1.newestSegmentTime?.secondsSinceEpoch ?? 0, $1.identity.systemIdentifier)
        }
    }

    /// "18-7412345678901234567: 1 backup, newest 2026...; WAL to 0000000100000000000000A3, archived 2026-...".
    public var description: String {
        let backupsText = backups == 0 ? "no backup" : "\(backups) backup\(backups == 1 ? "" : "s"), newest \(newestBackup ?? "?")"
        let walText = newestSegment.map { "WAL to \($0.fileName)" + (newestSegmentTime.map { ", archived \($0.iso8601)" } ?? "") } ?? "no WAL"
        return "\(identity.archiveID): \(backupsText); \(walText)"
    }
}
