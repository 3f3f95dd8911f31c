import PITRBackup
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// Decides what `delete` removes (docs/operations.md, "Retention"): the backups the policy no
/// longer keeps, the WAL no kept backup needs (both from `RepositoryNeeds`), leftovers of interrupted writes older than a day,
/// and records a newer one supersedes (`RecordSeries`).
public struct RetentionPlanner {
    /// Leftovers younger than this may belong to a backup or upload still running.
    public static let leftoverAge: Int64 = 86_400

    public let inventory: RepositoryInventory

    public init(inventory: RepositoryInventory) { self.inventory = inventory }

    /// Throws the first unusable descriptor's error: deleting from a partial list could remove what that backup needs
    /// (or, taking its pieces for leftovers, the backup itself).
    public func plan(policy: RetentionPolicy, now: UTCTime) throws -> RetentionPlan {
        if let unreadable = inventory.unreadableBackups.first { throw unreadable.error }
        let needs = inventory.needs(policy: policy, now: now)
        let classification = needs.classification
        let folders = inventory.objectsByBackup
        let backups = classification.deleted.map { decision in
            RetentionPlan.BackupDeletion(backup: decision.backup, descriptorKey: BackupDescriptor.key(of: decision.backup.name),
                                         objects: folders[decision.backup.name] ?? [])
        }
        let cutoff = UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - Self.leftoverAge)
        let named = Set(inventory.backups.map(\.name))
        var orphans: [StoredObject] = []
        for (name, objects) in folders.sorted(by: { $0.key < $1.key }) where !named.contains(name) {
            // The newest object decides: a backup still streaming keeps writing new pieces.
            let newest = objects.compactMap(\.lastModified).max()
            if objects.allSatisfy({ $0.lastModified != nil }), let newest, newest < cutoff { orphans += objects }
        }
        var wal: [RetentionPlan.WALDeletion] = []
        for archive in inventory.archives {
            // An archive no backup ever used is left alone: it may be all someone has.
            guard inventory.backups.contains(where: { $0.identity == archive.identity }) else { continue }
            let files = archive.index.files.filter { !needs.needs($0.key, of: archive.identity) }
                .map { (file: $0.key, object: $0.value) }
                .sorted { Self.walOrder($0.file, archive.index.segmentSize) < Self.walOrder($1.file, archive.index.segmentSize) }
            wal.append(RetentionPlan.WALDeletion(identity: archive.identity, files: files))
        }
        let storage = inventory.repository.storage
        let abandoned = try storage.abandonedUploads(under: "", startedBefore: cutoff)
        let locks = try storage.objectLock.map { lock in
            LockExtensions(needs: needs, inventory: inventory,
                           metadata: try inventory.repository.metadataObjects(archives: inventory.archives.map(\.identity)), lock: lock, now: now)
        }
        let deleted = Set(backups.map { BackupDescriptor.objectKey(backup: $0.backup.name, object: "") })
        let superseded = inventory.marks.superseded.filter { mark in !deleted.contains { mark.key.hasPrefix($0) } }
            + (try RecordSeries.supersededVerifyRecords(in: inventory.repository, archives: inventory.archives.map(\.identity)))
            + (try inventory.archives.flatMap { try $0.index.archive.supersededRecords(in: $0.index.records) })
        // Only where some class moves: a repository in one class (and S3-compatible stores, by default) asks nothing more.
        let placement = storage.storageClasses.flatMap { $0.transitions.isEmpty ? nil : StoragePlacement(needs: needs, inventory: inventory, classes: $0, now: now) }
        return RetentionPlan(needs: needs, backups: backups, wal: wal, orphans: orphans, abandonedUploads: abandoned, superseded: superseded,
                             locks: locks, placement: placement)
    }

    /// Oldest first: by position in the WAL stream, then timeline, then name.
    static func walOrder(_ file: WALFileName, _ size: WALSegmentSize) -> (UInt64, UInt32, String) {
        (file.segment?.number(size) ?? 0, file.timeline.rawValue, file.fileName)
    }
}
