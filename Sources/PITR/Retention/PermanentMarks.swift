import PITRBackup
import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport

/// `backup-mark --keep`: a small sealed `backups/<name>/keep.<sequence>` object beside the descriptor makes a backup
/// permanent; `--unkeep` writes a sealed `unkeep.<sequence>` after it. The newest mark that authenticates decides (bound
/// to its name, as the other sealed records are: `RecordSeries.newestSealed`), and no mark is ever replaced or removed by
/// the marking itself, so a backup under S3 Object Lock can be unmarked (`RecordSeries`). A mark that does not
/// authenticate can only keep a backup longer, never release it: one named `keep` newer than the mark that decides (an
/// earlier release's plain `keep` and `keep.<n>`, or anything put there under that name) keeps the backup, and an `unkeep`
/// that does not authenticate is passed over with a warning (`verify` reports it). `delete` removes the marks older than
/// the one that decides once their locks have ended; the last goes with the backup's folder, when nothing keeps the
/// backup any more.
public struct PermanentMarks {
    /// What the marks under `backups/` decide.
    package struct Standing {
        /// The backups the marks keep for ever.
        package var permanent: Set<String> = []
        /// The marks older than the newest of their backup that authenticates: what `delete` removes.
        package var superseded: [StoredObject] = []
        /// The marks newer than the one that decides that do not authenticate (an earlier release's plain `keep`s
        /// excepted), each warned of: `verify` reports them.
        package var rejected: [RecordSeries.Rejected] = []
    }

    static let keepKind = "keep"
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    static func series(of backup: String) -> RecordSeries {
        RecordSeries(folder: BackupDescriptor.objectKey(backup: backup, object: ""), kinds: [keepKind, "unkeep"],
                     legacy: BackupDescriptor.objectKey(backup: backup, object: keepKind))
    }

    /// Marks `backup` permanent; throws `RetentionError.noSuchBackup` unless it has a descriptor.
    public func keep(_ backup: String, now: UTCTime) throws {
        try mark(backup, Self.keepKind, MetadataText([("format", "1"), ("marked", now.iso8601)]))
    }

    /// Makes the policy decide again at the next `delete`.
    public func unkeep(_ backup: String, now: UTCTime) throws {
        try mark(backup, "unkeep", MetadataText([("format", "1"), ("unmarked", now.iso8601)]))
    }

    private func mark(_ backup: String, _ kind: String, _ text: MetadataText) throws {
        try requireBackup(backup)
        _ = try Self.series(of: backup).append(kind, on: repository.storage) { key in
            try SealedMetadata.store(text, at: key, identity: try identity(key), under: repository.key, in: repository)
        }
    }

    /// What the marks in `listing` (of `backups/`) decide: a read of each backup's marks, newest first, up to the first
    /// that authenticates.
    package func standing(in listing: [StoredObject]) throws -> Standing {
        var result = Standing()
        for (backup, objects) in Self.byBackup(listing) {
            let series = Self.series(of: backup)
            let entries = series.entries(in: objects)
            guard !entries.isEmpty else { continue }
            let (standing, rejected) = try series.newestSealed(in: objects, of: repository, instead: "an older mark of backup \(backup) decides instead",
                                                               quiet: { entry, _ in entry.kind == Self.keepKind }, identity: identity)
            let newer = entries.filter { $0.sequence > standing?.entry.sequence ?? -1 }
            if standing?.entry.kind == Self.keepKind || newer.contains(where: { $0.kind == Self.keepKind }) { result.permanent.insert(backup) }
            result.superseded += series.superseded(in: objects, by: standing)
            result.rejected += rejected
        }
        return result
    }

    private static func byBackup(_ listing: [StoredObject]) -> [String: [StoredObject]] {
        Dictionary(grouping: listing) { object in
            let parts = object.key.split(separator: "/")
            return parts.count == 3 ? String(parts[1]) : ""
        }.filter { !$0.key.isEmpty }
    }

    public func list() throws -> Set<String> {
        try standing(in: try repository.storage.listObjects(prefix: BackupDescriptor.folder + "/")).permanent
    }

    /// A mark is bound to the repository and its name.
    private func identity(_ key: String) throws -> ObjectIdentity {
        ObjectIdentity(["repository": try repository.recordedState()?.repositoryID ?? "", "file": key])
    }

    private func requireBackup(_ backup: String) throws {
        guard !backup.isEmpty, !backup.contains("/"), try repository.storage.size(of: BackupDescriptor.key(of: backup)) != nil else {
            throw RetentionError.noSuchBackup(name: backup, repository: repository.name)
        }
    }
}
