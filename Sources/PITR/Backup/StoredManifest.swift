import PITRPipeline
import PITRRepository

extension BackupDescriptor {
    /// The archive of PostgreSQL's backup_manifest among a backup's objects.
    package static let manifestArchive = "backup_manifest"

    /// This backup's stored backup_manifest as a `ByteSource`: its pieces decoded in order and checked as restore
    /// checks them (each bound to this backup and its place, the last flagged last, each of the size listed here),
    /// in bounded memory. The descriptor must come from `BackupCatalog` (it binds the repository's id).
    /// `DecodingSource`'s contract holds: the repository's storage is busy until the source ended or was closed.
    /// Throws `BackupError.noManifest` for a backup without one.
    package func manifestSource(in repository: Repository) throws -> DecodingSource {
        guard let source = try source(of: Self.manifestArchive, in: repository) else { throw BackupError.noManifest(backup: name) }
        return source
    }

    /// The same for any of this backup's archives; nil when the backup holds none of that name.
    package func source(of archive: String, in repository: Repository) throws -> DecodingSource? {
        let pieces = objects.filter { $0.archive == archive }
        guard !pieces.isEmpty else { return nil }
        let storage = repository.storage
        let parts = pieces.map { piece in
            let key = Self.objectKey(backup: name, object: piece.name)
            return DecodingSource.Part(object: storage.describe(key), identity: objectIdentity(of: piece), size: piece.rawBytes) {
                try storage.openForReading(key)
            }
        }
        return try DecodingSource(keyring: repository.keyring, parts: parts)
    }
}
