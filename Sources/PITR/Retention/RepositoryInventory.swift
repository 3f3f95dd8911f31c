import PITRBackup
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// One reading of everything `delete`, `verify`, `status` and `check` reason about: the backups,
/// the objects under `backups/`, the permanent marks, and each cluster's WAL archive with its
/// timeline histories. Listed once, so each command asks the storage a bounded number of times.
public struct RepositoryInventory {
    /// One cluster's WAL archive and the histories of its timelines.
    public struct Archive {
        public let index: ArchiveIndex
        public let histories: [TimelineHistory]
        public var identity: ClusterIdentity { index.archive.identity }
    }

    public let repository: Repository
    /// Oldest stop time first.
    public let backups: [BackupDescriptor]
    /// Every object under `backups/`.
    public let backupObjects: [StoredObject]
    /// What the permanent marks decide (`PermanentMarks`).
    package let marks: PermanentMarks.Standing
    public var permanent: Set<String> { marks.permanent }
    public let archives: [Archive]
    /// Backups whose descriptor cannot be used (damaged, or put there without the key): `verify` and `check` report
    /// them, `delete` refuses to plan from a list without them.
    public var unreadableBackups: [BackupCatalog.Unreadable] = []

    /// Lists `repository`; throws `ArchiveError.noRepository` when nothing ever created it (a
    /// wrong TAILTOWN_REPO must not read as an empty repository).
    public static func load(repository: Repository) throws -> RepositoryInventory {
        try repository.checkExists()
        let (backups, unreadable) = try BackupCatalog(repository: repository).scan()
        let listing = try repository.storage.listObjects(prefix: BackupDescriptor.folder + "/")
        var archives: [Archive] = []
        for identity in try ArchiveIndex.identities(in: repository) {
            let index = try ArchiveIndex.load(repository: repository, identity: identity)
            let histories = try index.historyTimelines.compactMap { try index.history(of: $0) }
            archives.append(Archive(index: index, histories: histories))
        }
        var inventory = RepositoryInventory(repository: repository, backups: backups, backupObjects: listing,
                                            marks: try PermanentMarks(repository: repository).standing(in: listing), archives: archives)
        inventory.unreadableBackups = unreadable
        return inventory
    }

    public func classification(policy: RetentionPolicy, now: UTCTime) -> RetentionClassification {
        RetentionClassification(backups: backups, permanent: permanent, policy: policy, now: now)
    }

    /// What the kept backups need under `policy` at `now`, and until when.
    public func needs(policy: RetentionPolicy, now: UTCTime) -> RepositoryNeeds {
        RepositoryNeeds(classification: classification(policy: policy, now: now), archives: archives)
    }

    /// The WAL `decisions`' backups need from `archive`: window anchors continuously, the others start to stop.
    public func requirements(of archive: Archive, for decisions: [RetentionClassification.Decision]) -> WALRequirements {
        let own = decisions.filter { $0.backup.identity == archive.identity }
        return WALRequirements(anchors: own.filter(\.anchorsWindow).map(\.backup),
                               others: own.filter { !$0.anchorsWindow }.map(\.backup),
                               histories: archive.histories, segmentSize: archive.index.segmentSize)
    }

    /// The objects of each folder under `backups/`, by backup name.
    public var objectsByBackup: [String: [StoredObject]] {
        var folders: [String: [StoredObject]] = [:]
        for object in backupObjects {
            let parts = object.key.split(separator: "/")
            if parts.count >= 3 { folders[String(parts[1]), default: []].append(object) }
        }
        return folders
    }

    /// The newest complete segment of an archive, by name (the newest timeline's highest), with its listing entry.
    public func newestSegment(of archive: Archive) -> (name: WALSegmentName, object: StoredObject)? {
        archive.index.files.compactMap { file, object -> (name: WALSegmentName, object: StoredObject)? in
            if case .segment(let segment) = file { return (segment, object) }
            return nil
        }.max { $0.name < $1.name }
    }
}
