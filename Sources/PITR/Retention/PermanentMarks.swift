import PITRBackup
import PITRRepository
import PITRStorage
import PITRSupport

/// `backup-mark --keep`: a small `backups/<name>/keep.<sequence>` object beside the descriptor makes a backup
/// permanent; `--unkeep` writes an `unkeep.<sequence>` after it. The newest mark decides (an earlier release's single
/// `keep` object counts as the oldest), and no mark is ever replaced or removed by the marking itself, so a backup
/// under S3 Object Lock can be unmarked (`RecordSeries`). `delete` removes the superseded marks once their locks have
/// ended; the last goes with the backup's folder, when nothing keeps the backup any more.
public struct PermanentMarks {
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
        let storage = repository.storage
        _ = try Self.series(of: backup).append(kind, on: storage) { key in
            let upload = try storage.startUpload(key)
            try text.bytes.withUnsafeBytes { try upload.write($0) }
            return try upload.commit()
        }
    }

    /// The names of the marked backups, from a listing of `backups/`.
    static func names(in listing: [StoredObject]) -> Set<String> {
        Set(byBackup(listing).compactMap { backup, objects in
            series(of: backup).entries(in: objects).last?.kind == keepKind ? backup : nil
        })
    }

    /// The marks a newer one supersedes, from a listing of `backups/`.
    static func superseded(in listing: [StoredObject]) -> [StoredObject] {
        byBackup(listing).flatMap { backup, objects in series(of: backup).superseded(in: objects) }
    }

    private static func byBackup(_ listing: [StoredObject]) -> [String: [StoredObject]] {
        Dictionary(grouping: listing) { object in
            let parts = object.key.split(separator: "/")
            return parts.count == 3 ? String(parts[1]) : ""
        }.filter { !$0.key.isEmpty }
    }

    public func list() throws -> Set<String> {
        Self.names(in: try repository.storage.listObjects(prefix: BackupDescriptor.folder + "/"))
    }

    private func requireBackup(_ backup: String) throws {
        guard !backup.isEmpty, !backup.contains("/"), try repository.storage.size(of: BackupDescriptor.key(of: backup)) != nil else {
            throw RetentionError.noSuchBackup(name: backup, repository: repository.name)
        }
    }
}
