import PITRRepository

/// The finished backups of a repository: those with a descriptor. Objects of a backup that never
/// got its descriptor (killed mid-stream) are not backups and are never listed.
public struct BackupCatalog {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Every descriptor, oldest stop time first (newest last, like `ls -ltr`).
    public func list() throws -> [BackupDescriptor] {
        let keys = try repository.storage.list(prefix: BackupDescriptor.folder + "/")
            .filter { key in
                let parts = key.split(separator: "/")
                return parts.count == 3 && parts[2] == BackupDescriptor.fileName
            }
        var descriptors: [BackupDescriptor] = []
        for key in keys {
            guard let bytes = try repository.storage.readSmallObject(key) else { continue }
            descriptors.append(try BackupDescriptor(parsing: bytes, object: repository.storage.describe(key)))
        }
        return descriptors.sorted { ($0.stopTime, $0.name) < ($1.stopTime, $1.name) }
    }
}
