/// The WAL of one cluster identity inside a repository: `wal/<major>-<system identifier>/`.
/// A second cluster or a pg_upgrade gets a folder of its own (docs/format.md).
public struct WALArchive {
    public let repository: Repository
    public let identity: ClusterIdentity

    public init(repository: Repository, identity: ClusterIdentity) {
        self.repository = repository
        self.identity = identity
    }

    var folder: String { "wal/" + identity.archiveID }
    var infoKey: String { folder + "/archive.info" }

    /// Where a WAL file is kept: segments, .partial and .backup files in a folder per 16 hex digits
    /// of their name (timeline and high LSN part), history files beside those folders.
    public func key(for file: WALFileName) -> String {
        switch file {
        case .history:
            folder + "/" + file.fileName
        case .segment(let segment), .partial(let segment), .backup(let segment, _):
            folder + "/" + segment.folderName + "/" + file.fileName
        }
    }

    /// Checks a segment's size against the size this archive records, recording it on the first segment.
    func checkSegmentSize(_ size: WALSegmentSize, file: String) throws {
        let expected = MetadataText([
            ("system-identifier", String(identity.systemIdentifier)),
            ("pg-version", String(identity.majorVersion)),
            ("segment-size", String(size.bytes)),
        ])
        let info = try repository.readMetadata(infoKey) ?? repository.createMetadata(infoKey, expected)
        guard info["system-identifier"] == expected["system-identifier"], info["pg-version"] == expected["pg-version"] else {
            throw ArchiveError.systemMismatch(
                archive: repository.storage.describe(folder),
                archived: "PostgreSQL \(info["pg-version"] ?? "?") system \(info["system-identifier"] ?? "?")",
                given: "PostgreSQL \(identity.majorVersion) system \(identity.systemIdentifier)")
        }
        let archived = UInt64(info["segment-size"] ?? "") ?? 0
        guard archived == size.bytes else {
            throw ArchiveError.segmentSizeMismatch(file: file, archive: repository.storage.describe(folder), archived: archived, given: size.bytes)
        }
    }
}
