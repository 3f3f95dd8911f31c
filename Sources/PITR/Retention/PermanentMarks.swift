import PITRBackup
import PITRRepository
import PITRStorage
import PITRSupport

/// `backup-mark --keep`: a small `backups/<name>/keep` object beside the descriptor makes a
/// backup permanent; `--unkeep` removes it. The mark is removed with the backup's folder only
/// when nothing keeps the backup any more, which never happens while the mark exists.
public struct PermanentMarks {
    static let fileName = "keep"
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    static func key(of backup: String) -> String { BackupDescriptor.objectKey(backup: backup, object: fileName) }

    /// Marks `backup` permanent; throws `RetentionError.noSuchBackup` unless it has a descriptor.
    public func keep(_ backup: String, now: UTCTime) throws {
        try requireBackup(backup)
        let upload = try repository.storage.startUpload(Self.key(of: backup))
        try MetadataText([("format", "1"), ("marked", now.iso8601)]).bytes.withUnsafeBytes { try upload.write($0) }
        _ = try upload.commit(replace: true)
    }

    /// Removes the mark; the policy decides again at the next `delete`.
    public func unkeep(_ backup: String) throws {
        try requireBackup(backup)
        try repository.storage.remove(Self.key(of: backup))
    }

    /// The names of the marked backups, from a listing of `backups/`.
    static func names(in listing: [StoredObject]) -> Set<String> {
        Set(listing.compactMap { object -> String? in
            let parts = object.key.split(separator: "/")
            return parts.count == 3 && parts[2] == fileName ? String(parts[1]) : nil
        })
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
