import PITRSupport
import PITRWAL

/// Why no restore plan exists for a request. Each is raised before anything is written.
public enum RestorePlanError: PITRError, Equatable {
    case noBackups(repository: String)
    /// The target lies before the end of every usable backup.
    case targetBeforeOldestBackup(target: String, oldestRestorable: String)
    /// The target lies after the last archived WAL of the timeline.
    case targetAfterArchivedWAL(target: String, timeline: TimelineID, newestRestorable: String)
    /// A segment recovery needs is not archived while later WAL is (or the backup's own WAL is incomplete).
    case walGap(segment: String, archive: String, from: LSN, to: LSN)
    case unknownRestorePoint(name: String, timeline: TimelineID, after: LSN)
    case transactionNotFound(xid: UInt32, timeline: TimelineID, after: LSN)
    case unknownBackup(name: String, available: [String])
    case backupCannotReach(name: String, reason: String)
    case timelineNotFound(TimelineID, archive: String, known: [TimelineID])
    /// No backup lies on the line of the requested timeline.
    case noBackupOnTimeline(TimelineID)
    /// The target exists on more than one timeline and `--timeline` did not pick one.
    case ambiguousTimeline(target: String, timelines: [TimelineID])
    /// The repository holds several clusters (a pg_upgrade's two) and more than one can reach the target.
    case ambiguousCluster(target: String, clusters: [String])
    case unknownCluster(String, known: [String])
    case backupOfAnotherCluster(name: String, cluster: String, requested: String)

    /// The cluster planned for cannot hold the target (it lies outside its backups' and WAL's
    /// reach), as opposed to a fault in what it holds: with several clusters, another may serve.
    var placesTargetOutside: Bool {
        switch self {
        case .targetBeforeOldestBackup, .targetAfterArchivedWAL, .unknownRestorePoint, .transactionNotFound,
             .timelineNotFound, .noBackupOnTimeline:
            true
        default:
            false
        }
    }

    public var description: String {
        switch self {
        case .noBackups(let repository):
            "repository \(repository) holds no finished backup: run backup-push first"
        case .targetBeforeOldestBackup(let target, let oldest):
            "target \(target) lies before the end of the oldest usable backup: the oldest restorable point is \(oldest)"
        case .targetAfterArchivedWAL(let target, let timeline, let newest):
            "target \(target) lies after the last archived WAL on timeline \(timeline): the newest restorable point is \(newest); check that archiving works, or choose an earlier target or --to latest"
        case .walGap(let segment, let archive, let from, let to):
            "WAL segment \(segment) is missing from \(archive): recovery cannot replay the WAL from \(from) to \(to); restore it into the archive or choose a target before \(from)"
        case .unknownRestorePoint(let name, let timeline, let after):
            "no restore point named '\(name)' in the WAL archived after \(after) on the line of timeline \(timeline): check the name (pg_create_restore_point) or --timeline"
        case .transactionNotFound(let xid, let timeline, let after):
            "no commit or abort of transaction \(xid) in the WAL archived after \(after) on the line of timeline \(timeline): it ended before the oldest usable backup, never ended, or is not archived yet"
        case .unknownBackup(let name, let available):
            "no backup named '\(name)' in the repository" + (available.isEmpty ? "" : "; backups: " + available.joined(separator: ", "))
        case .backupCannotReach(let name, let reason):
            "backup \(name) cannot reach the target: \(reason); leave out --backup to let the planner choose"
        case .timelineNotFound(let timeline, let archive, let known):
            "timeline \(timeline) is not in \(archive) (no \(timeline.hex).history): known timelines are \(known.map(\.description).joined(separator: ", "))"
        case .noBackupOnTimeline(let timeline):
            "no backup lies on the history of timeline \(timeline): every backup was taken on a timeline that forked away from it; choose another --timeline"
        case .ambiguousCluster(let target, let clusters):
            "target \(target) lies within reach of clusters \(clusters.joined(separator: " and ")), which this repository holds side by side (a pg_upgrade keeps the old cluster's backups): add --cluster \(clusters.joined(separator: " or --cluster ")) to pick one"
        case .unknownCluster(let cluster, let known):
            "no backup of cluster \(cluster) in the repository; clusters with backups: \(known.joined(separator: ", "))"
        case .backupOfAnotherCluster(let name, let cluster, let requested):
            "backup \(name) belongs to cluster \(cluster), not to --cluster \(requested): leave out one of the two"
        case .ambiguousTimeline(let target, let timelines):
            "target \(target) exists on timelines \(timelines.map(\.description).joined(separator: " and ")), which forked before it: add --timeline \(timelines.map(\.description).joined(separator: " or --timeline ")) to pick one"
        }
    }
}
