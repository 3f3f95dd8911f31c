import PITRRepository

extension RelationNames {
    /// The most bytes a stored map may hold: some 60 bytes a relation, a few million relations.
    static let limit = 256 << 20

    /// `backup`'s relation names, authenticated as every piece is; nil for a backup that holds none (taken by an
    /// earlier release, or when the names could not be read).
    package init?(of backup: BackupDescriptor, in repository: Repository) throws {
        guard let source = try backup.source(of: BackupDescriptor.relationNamesArchive, in: repository) else { return nil }
        defer { source.close() }
        let object = repository.storage.describe(BackupDescriptor.objectKey(backup: backup.name, object: BackupDescriptor.relationNamesArchive))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            guard bytes.count + count <= Self.limit else {
                throw BackupError.unreadableNames(object: object, reason: "it holds more than \(Self.limit >> 20) MiB")
            }
            bytes += buffer[..<count]
        }
        try self.init(parsing: bytes, object: object)
    }
}
