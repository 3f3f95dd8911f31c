import PITRPipeline
import PITRStorage
import PITRSupport
import PITRWAL

/// The WAL of one cluster identity inside a repository: `wal/<major>-<system identifier>/`.
/// A second cluster or a pg_upgrade gets a folder of its own (docs/format.md).
public struct WALArchive {
    public let repository: Repository
    public let identity: ClusterIdentity

    public init(repository: Repository, identity: ClusterIdentity) {
        self.repository = repository
        self.identity = identity
    }

    package var folder: String { "wal/" + identity.archiveID }
    package var infoKey: String { folder + "/" + ArchiveIndex.infoName }

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

    /// What an object of this archive is bound to (format 2): the archive and the file's name, so that a
    /// segment copied to another name, timeline or cluster's folder is refused when read.
    public func objectIdentity(of file: WALFileName) -> ObjectIdentity {
        ObjectIdentity(["archive": identity.archiveID, "file": file.fileName])
    }

    /// Checks the repository's key and a segment's size against what this archive records, recording
    /// them on the first segment. `archive.info` repeats the marker's encryption lines (written only
    /// after the marker was checked, and neither ever changes), so one read checks both; an archive
    /// made before it did so is checked against the marker as well.
    package func checkKeyAndSegmentSize(_ size: WALSegmentSize, file: String) throws {
        let info: MetadataText
        if let existing = try repository.readMetadata(infoKey) {
            info = existing
        } else {
            try repository.checkEncryption()
            try ClusterAdmission(repository: repository).check(identity)
            info = try repository.createMetadata(infoKey, MetadataText([
                ("system-identifier", String(identity.systemIdentifier)),
                ("pg-version", String(identity.majorVersion)),
                ("segment-size", String(size.bytes)),
            ] + repository.encryptionFacts))
        }
        try checkKeyAndSystem(info)
        let archived = try segmentSize(recordedIn: info)
        guard archived == size else {
            throw ArchiveError.segmentSizeMismatch(file: file, archive: repository.storage.describe(folder), archived: archived.bytes, given: size.bytes)
        }
    }

    /// The segment size this archive records, after the same checks of the key and the cluster;
    /// the archive must exist (the background pusher and the prefetcher run after a wal-push recorded it).
    package func checkedSegmentSize() throws -> WALSegmentSize {
        let info = try recordedInfo()
        try checkKeyAndSystem(info)
        return try segmentSize(recordedIn: info)
    }

    /// `archive.info`; `ArchiveError.noArchive` before the first wal-push wrote it.
    func recordedInfo() throws -> MetadataText {
        guard let info = try repository.readMetadata(infoKey) else {
            throw ArchiveError.noArchive(archive: repository.storage.describe(folder))
        }
        return info
    }

    /// The segment size `info` (this archive's `archive.info`) records.
    func segmentSize(recordedIn info: MetadataText) throws -> WALSegmentSize {
        guard let bytes = UInt64(info["segment-size"] ?? ""), let size = try? WALSegmentSize(bytes: bytes) else {
            throw ArchiveError.unreadableMetadata(object: repository.storage.describe(infoKey),
                                                  reason: "segment-size '\(info["segment-size"] ?? "")' is not a WAL segment size")
        }
        return size
    }

    /// Checks the key and the cluster against `info` (an existing or just-created `archive.info`).
    private func checkKeyAndSystem(_ info: MetadataText) throws {
        if info["encryption"] == nil {
            try repository.checkEncryption()
        } else {
            try repository.checkKey(against: info, object: infoKey)
        }
        guard info["system-identifier"] == String(identity.systemIdentifier), info["pg-version"] == String(identity.majorVersion) else {
            throw ArchiveError.systemMismatch(
                archive: repository.storage.describe(folder),
                archived: "PostgreSQL \(info["pg-version"] ?? "?") system \(info["system-identifier"] ?? "?")",
                given: "PostgreSQL \(identity.majorVersion) system \(identity.systemIdentifier)")
        }
    }
}

extension WALArchive {
    /// Every timeline `timeline` descends from, itself included, from its archived history file:
    /// the timelines a segment of `timeline` may carry in its first page's header. A timeline whose
    /// history is not archived keeps only itself (its first segment, which begins with its parent's
    /// records, is then refused by the check and fetched by wal-fetch instead).
    package func lineage(of timeline: TimelineID) throws -> Set<TimelineID> {
        guard timeline.rawValue > 1 else { return [timeline] }
        return Set(try history(of: timeline)?.lineage ?? [timeline])
    }

    /// The archived history file of `timeline`, decoded; nil when the archive does not hold it.
    package func history(of timeline: TimelineID) throws -> TimelineHistory? {
        let key = key(for: .history(timeline))
        let object = repository.storage.describe(key)
        guard let source = try repository.storage.openIfPresent(key) else { return nil }
        let sink = MemorySink(limit: 1 << 20, object: object)
        _ = try ObjectDecoder(keyring: repository.keyring).decode(from: source, to: sink, object: object,
                                                              identity: objectIdentity(of: .history(timeline)))
        return try TimelineHistory(parsing: sink.bytes, timeline: timeline, file: object)
    }
}
