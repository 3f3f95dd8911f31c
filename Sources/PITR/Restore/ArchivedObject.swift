import PITRBackup
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// An object a restore plan reads that lies in an archive storage class (GLACIER, DEEP_ARCHIVE): a GET of it is
/// refused until it is thawed (docs/recovery.md, "Restoring from archived backups").
public struct ArchivedObject: Equatable, Sendable {
    public let key: String
    public let storedBytes: Int
    public let archiveClass: ArchiveClass
    /// The backup it belongs to; nil for a WAL file.
    public let backup: String?

    /// The archived ones among `objects`, each of `backup` (nil: WAL files).
    package static func among(_ objects: [StoredObject], backup: String?) -> [ArchivedObject] {
        objects.compactMap { object in
            ArchiveClass(storageClass: object.storageClass).map {
                ArchivedObject(key: object.key, storedBytes: object.size, archiveClass: $0, backup: backup)
            }
        }
    }

    /// What restoring `plan` reads from an archive class: the pieces of every backup of `chain` (one listing of each
    /// backup's folder) and the WAL files of the plan (with those the search for its target reads), from `index`'s
    /// listing. wal-fetch must not meet an archived segment during recovery, so the WAL is thawed up front with the backup.
    static func needed(by plan: RestorePlan, chain: BackupChain, index: ArchiveIndex, storage: Storage) throws -> [ArchivedObject] {
        var found: [ArchivedObject] = []
        for backup in chain.backups {
            let pieces = Set(backup.objects.filter { $0.archive != BackupDescriptor.blockSumsArchive }
                .map { BackupDescriptor.objectKey(backup: backup.name, object: $0.name) })
            let listed = try storage.listObjects(prefix: BackupDescriptor.objectKey(backup: backup.name, object: ""))
            found += among(listed.filter { pieces.contains($0.key) }, backup: backup.name)
        }
        let planned = Set(plan.segments)
        let segments = plan.segments + plan.searchSegments.filter { !planned.contains($0) }
        let files = segments.map { WALFileName.segment($0) } + plan.histories.map { WALFileName.history($0) }
        return found + among(files.compactMap { index.files[$0] }, backup: nil)
    }
}

extension RestorePlan {
    /// The plan's lines about archived objects: what, how many bytes, in which class, and what each tier's thaw takes.
    var archivedReport: [String] {
        guard !archived.isEmpty else { return [] }
        var lines: [String] = []
        var groups: [(title: String, objects: [ArchivedObject])] = []
        for object in archived {
            let title = object.backup.map { "backup \($0)" } ?? "WAL"
            if let index = groups.firstIndex(where: { $0.title == title && $0.objects[0].archiveClass == object.archiveClass }) {
                groups[index].objects.append(object)
            } else {
                groups.append((title, [object]))
            }
        }
        for group in groups {
            let names = group.objects.map { String($0.key.split(separator: "/").last ?? "") }
            let shown = names.count <= 3 ? names.joined(separator: ", ") : "\(names[0]) to \(names[names.count - 1])"
            lines.append("archived: \(group.title), \(group.objects.count) object\(group.objects.count == 1 ? "" : "s") in \(group.objects[0].archiveClass.rawValue) "
                + "(\(shown)), \(String(byteCount: group.objects.reduce(0) { $0 + $1.storedBytes }))")
        }
        let classes = [ArchiveClass.glacier, .deepArchive].filter { archiveClass in archived.contains { $0.archiveClass == archiveClass } }
        for archiveClass in classes {
            let inClass = archived.filter { $0.archiveClass == archiveClass }
            let tiers = ThawTier.allCases.map { tier in
                "\(tier.rawValue) " + (archiveClass.thawTime(tier).map { time in
                    "\(time) ($\(String(format2: archiveClass.thawCost(tier, objects: inClass.count, bytes: inClass.reduce(0) { $0 + $1.storedBytes }) ?? 0)))"
                } ?? "not offered")
            }
            lines.append("thaw of \(archiveClass.rawValue): " + tiers.joined(separator: ", "))
        }
        if archived.contains(where: { $0.backup == nil }) {
            lines.append("held locks at the stop: checked once the WAL is thawed, before anything is written")
        }
        lines.append("thaw: \(archived.count) object\(archived.count == 1 ? "" : "s"), \(String(byteCount: archived.reduce(0) { $0 + $1.storedBytes })) in archive storage classes, which a GET reads only once thawed: "
            + "add --thaw expedited|standard|bulk (and --thaw-days N, how long the copies stay readable)")
        return lines
    }
}
