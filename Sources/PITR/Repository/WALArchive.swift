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
    /// `archive.info` sealed again (under another active key, or an earlier release's plain text sealed) is written once
    /// under the next name of this series, never over the first one (which marks the archive):
    /// `archive.info.sealed.<sequence>`; the newest stands.
    var infoSeries: RecordSeries { RecordSeries(folder: infoKey + ".", kinds: ["sealed"], legacy: infoKey) }

    /// The records of `infoSeries` in `listing` that a newer one supersedes: what `delete` removes. A reader reads the
    /// first `archive.info` and, when another key sealed it, only the newest of the series that authenticates
    /// (`standingInfo`), each sealed record standing alone (bound to its own name, authenticated by the key that sealed
    /// it), so nothing older is ever read again. Only a newer record that authenticates supersedes (one read, more where
    /// newer ones are forged or sealed by a key the key file no longer holds): a name alone, which anyone who can write to
    /// the bucket can take, never removes a record. The first is never among them: it marks the archive.
    package func supersededInfo(in listing: [StoredObject]) throws -> [StoredObject] {
        infoSeries.superseded(in: listing, by: try standingInfo(in: listing).standing, include: { $0.object.key != infoKey })
    }

    /// The records of this archive in `listing` (of its folder) that `delete` removes: `supersededInfo`, and the consents
    /// older than the newest sealed one, which nothing reads once `archive.info` exists (`ClusterAdmission`).
    package func supersededRecords(in listing: [StoredObject]) throws -> [StoredObject] {
        guard listing.contains(where: { $0.key == infoKey }) else { return [] }
        return try supersededInfo(in: listing) + ClusterAdmission(repository: repository).supersededConsents(of: identity, in: listing)
    }

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

    /// What an object of this archive is bound to (format 2): the repository, the archive and the file's name, so that
    /// a segment copied to another name, timeline, cluster's folder or repository is refused when read; and whether a
    /// format 1 object may stand under the name (only one archived before the archive switched to format 2).
    public func objectIdentity(of file: WALFileName) throws -> ObjectIdentity {
        objectIdentity(of: file, info: try self.info())
    }

    /// The same, with this archive's `archive.info` at hand.
    package func objectIdentity(of file: WALFileName, info: ArchiveInfo) -> ObjectIdentity {
        ObjectIdentity(["repository": info.repositoryID, "archive": identity.archiveID, "file": file.fileName],
                              acceptsFormat1: info.acceptsFormat1(file))
    }

    /// What `archive.info` stored under `key` is bound to (the repository id is inside it): its name; `archive.info` for
    /// the first one.
    func infoIdentity(_ key: String) -> ObjectIdentity {
        ObjectIdentity(["archive": identity.archiveID, "file": key == infoKey ? ArchiveIndex.infoName : key])
    }

    /// Before a push: checks the repository's key and a segment's size (nil for a history or `.backup` file) against what
    /// this archive records, recording them on the first segment. The common case is one read: `archive.info`, sealed by
    /// the active key, which the repository accepted when it was sealed. Otherwise the repository log is consulted (and
    /// the active key accepted, `Repository.state`) and `archive.info` sealed anew under the active key; an archive an
    /// earlier release made has its switch to format 2 recorded.
    ///
    /// With `Repository.metadataCache` (S3), the common case is no read at all: `archive.info` as cached, sealed by the
    /// active key. A sealed `archive.info` never changes but for being sealed again under another key (the same text), so
    /// a cached one stays right; one sealed by another key than the active one is read from the repository as above, and
    /// what the push then finds stale (a 412 whose object does not match, a segment size that differs) reads it again
    /// (`Repository.retryingWithFreshMetadata`). The repository log is not consulted in the common case, cached or not.
    package func checkKeyAndSegmentSize(_ size: WALSegmentSize?, file: String) throws {
        let activeKeyID = repository.key?.keyIDHex ?? ""
        if let (cached, keyID) = cachedInfo(), keyID == activeKeyID {
            repository.usesCachedMetadata = true
            return try use(cached, size: size, file: file)
        }
        let object = repository.storage.describe(infoKey)
        var info: ArchiveInfo
        let stored = try storedInfo()
        switch stored?.metadata {
        case .sealed(let text, let keyID)?:
            info = try ArchiveInfo(parsing: text, object: object, sealed: true)
            if keyID == activeKeyID, let stored {
                repository.metadataCache?.write(infoKey, key: stored.key, bytes: stored.bytes)
            } else {
                let state = try repository.state()
                try checkRepository(info, state)
                try sealAgain(info)
            }
        case .plainText(let text)?:
            // An archive an earlier release made: its switch is recorded (the log's record stands if there is one, so
            // plain text put back in place of the sealed one undoes nothing), then archive.info is sealed.
            let legacy = try ArchiveInfo(parsing: text, object: object, sealed: false)
            guard let legacySize = legacy.segmentSize else { throw ArchiveError.noArchive(archive: object) }
            let files = try repository.storage.list(prefix: folder + "/").compactMap { try? WALFileName(parsing: FileSystem.basename(of: $0)) }
            let recorded = try repository.recordArchive(identity.archiveID, FormatSwitch(archived: files, segmentSize: legacySize))
            info = ArchiveInfo(repositoryID: recorded.repositoryID, systemIdentifier: legacy.systemIdentifier, pgVersion: legacy.pgVersion,
                               segmentSize: legacySize, formatSwitch: recorded.archives[identity.archiveID])
            try checkSystem(info)
            try sealAgain(info)
        case nil:
            let state = try repository.state()
            let fresh = ArchiveInfo(repositoryID: state.repositoryID, systemIdentifier: String(identity.systemIdentifier),
                                    pgVersion: String(identity.majorVersion), segmentSize: size, formatSwitch: state.archives[identity.archiveID] ?? FormatSwitch.none)
            guard size != nil else {
                // A history or .backup file before the archive's first segment: bound to the repository, nothing recorded.
                repository.archiveInfos[identity.archiveID] = fresh
                return
            }
            try ClusterAdmission(repository: repository).check(identity)
            let recorded = try repository.recordArchive(identity.archiveID, .none)
            info = ArchiveInfo(repositoryID: recorded.repositoryID, systemIdentifier: fresh.systemIdentifier, pgVersion: fresh.pgVersion,
                               segmentSize: size, formatSwitch: recorded.archives[identity.archiveID])
            if try SealedMetadata.store(info.text, at: infoKey, identity: infoIdentity(infoKey), under: repository.key,
                                        in: repository) == .alreadyExists {
                return try checkKeyAndSegmentSize(size, file: file)
            }
        }
        try use(info, size: size, file: file)
    }

    /// Seals `info` under the active key, under the next name of `infoSeries`.
    private func sealAgain(_ info: ArchiveInfo) throws {
        _ = try infoSeries.append(infoSeries.kinds[0], on: repository.storage) { key in
            try SealedMetadata.store(info.text, at: key, identity: infoIdentity(key), under: repository.key, in: repository)
        }
    }

    /// Checks the cluster and the segment `size` against `info`, which the push then goes by.
    private func use(_ info: ArchiveInfo, size: WALSegmentSize?, file: String) throws {
        try checkSystem(info)
        repository.archiveInfos[identity.archiveID] = info
        guard let size, let archived = info.segmentSize else { return }
        guard archived == size else {
            throw ArchiveError.segmentSizeMismatch(file: file, archive: repository.storage.describe(folder), archived: archived.bytes, given: size.bytes)
        }
    }

    /// The segment size this archive records, after the same checks of the key and the cluster;
    /// the archive must exist (the background pusher and the prefetcher run after a wal-push recorded it).
    package func checkedSegmentSize() throws -> WALSegmentSize {
        let info = try self.info()
        guard let size = info.segmentSize else { throw ArchiveError.noArchive(archive: repository.storage.describe(folder)) }
        return size
    }

    /// `archive.info`, read once per repository connection, without writing anything: sealed, or plain text in an
    /// archive that has not switched to format 2 yet (or whose sealed one was replaced: the log's record of the switch
    /// then stands).
    /// `ArchiveError.noArchive` before the first wal-push wrote it.
    ///
    /// With `Repository.metadataCache` (S3): `archive.info` and the log's newest entry as cached, checked as when read.
    /// A sealed `archive.info` never changes (it is only sealed again under another key), and of the log only the
    /// repository id is used here, which never changes either; the keys that decrypt come from the key file, not from
    /// the log, so a key accepted or activated since (by this host or another) decrypts what it sealed whatever the
    /// cache holds. What a stale copy could still get wrong (an object bound to another identity) fails to decode and
    /// reads the repository again (`Repository.retryingWithFreshMetadata`). A plain-text `archive.info` is never cached.
    package func info() throws -> ArchiveInfo {
        if let cached = repository.archiveInfos[identity.archiveID] { return cached }
        let info: ArchiveInfo
        if let (cached, _) = cachedInfo(), let state = repository.cachedLogState() {
            repository.usesCachedMetadata = true
            try checkRepository(cached, state)
            info = cached
        } else {
            info = try readInfo()
        }
        try checkSystem(info)
        repository.archiveInfos[identity.archiveID] = info
        return info
    }

    /// `archive.info` read from the repository, as `info` says (a sealed one is cached, with the log's newest entry).
    private func readInfo() throws -> ArchiveInfo {
        let object = repository.storage.describe(infoKey)
        let stored = try storedInfo()
        switch stored?.metadata {
        case .sealed(let text, _)?:
            let info = try ArchiveInfo(parsing: text, object: object, sealed: true)
            try checkRepository(info, try repository.recordedState())
            if let stored { repository.metadataCache?.write(infoKey, key: stored.key, bytes: stored.bytes) }
            return info
        case .plainText(let text)?:
            let state = try repository.recordedState()
            try checkKeyOfLegacy(state)
            return try ArchiveInfo(parsing: text, object: object, sealed: false, repositoryID: state?.repositoryID ?? "",
                                   formatSwitch: state?.archives[identity.archiveID])
        case nil:
            throw ArchiveError.noArchive(archive: repository.storage.describe(folder))
        }
    }

    /// `archive.info` as stored, and decoded, with the key it is stored under; nil when there is none. The first one when
    /// the active key sealed it (one read); otherwise the newest of `infoSeries` that authenticates when there is one (a
    /// listing and a read more, one per newer record that does not, each warned of: `standingInfo`), so that a key
    /// retired since is not needed.
    private func storedInfo() throws -> (key: String, bytes: [UInt8], metadata: SealedMetadata)? {
        guard let bytes = try repository.storage.readSmallObject(infoKey) else { return nil }
        if SealedMetadata.keyID(of: bytes) != repository.key?.keyIDHex ?? "",
           let standing = try standingInfo(in: try repository.storage.listObjects(prefix: infoSeries.folder)).standing {
            return (standing.entry.object.key, standing.bytes, standing.metadata)
        }
        return (infoKey, bytes, try SealedMetadata.decode(bytes, identity: infoIdentity(infoKey), object: repository.storage.describe(infoKey),
                                                         keyring: repository.keyring))
    }

    /// `archive.info` as `Repository.metadataCache` holds it, sealed, authenticated as the stored one is, and the id of the
    /// key that sealed it; nil when there is none usable.
    private func cachedInfo() -> (ArchiveInfo, keyID: String)? {
        guard repository.readsMetadataCache, let cache = repository.metadataCache, let (key, bytes) = cache.read(infoKey),
              key == infoKey || key.hasPrefix(infoSeries.folder) else { return nil }
        do {
            guard case .sealed(let text, let keyID) = try SealedMetadata.decode(bytes, identity: infoIdentity(key), object: repository.storage.describe(key),
                                                                               keyring: repository.keyring) else {
                cache.reject(infoKey, "it is not sealed")
                return nil
            }
            return (try ArchiveInfo(parsing: text, object: repository.storage.describe(infoKey), sealed: true), keyID)
        } catch {
            cache.reject(infoKey, "\(error)")
            return nil
        }
    }

    /// A sealed `archive.info` names the repository it belongs to: one copied from another repository sealed with the
    /// same key is refused.
    private func checkRepository(_ info: ArchiveInfo, _ state: RepositoryState?) throws {
        guard let state, state.repositoryID != info.repositoryID else { return }
        throw ArchiveError.unreadableMetadata(object: repository.storage.describe(infoKey),
                                              reason: "it belongs to repository \(info.repositoryID), not this one (\(state.repositoryID))")
    }

    /// A plain-text `archive.info` carries no key; the repository's key is checked against the log, or the marker.
    private func checkKeyOfLegacy(_ state: RepositoryState?) throws {
        if let state { return try repository.checkKey(against: state) }
        guard let marker = try repository.readMetadata(Repository.markerKey) else { throw ArchiveError.noRepository(repository: repository.name) }
        let encrypted = marker["encryption"] == "aes-256-gcm"
        try repository.checkKey(against: RepositoryState(repositoryID: String(repeating: "0", count: 32), encrypted: encrypted,
                                                         acceptedKeys: encrypted ? [marker["key-id"] ?? ""] : []))
    }

    /// Checks the cluster against `info`.
    private func checkSystem(_ info: ArchiveInfo) throws {
        guard info.systemIdentifier == String(identity.systemIdentifier), info.pgVersion == String(identity.majorVersion) else {
            throw ArchiveError.systemMismatch(
                archive: repository.storage.describe(folder),
                archived: "PostgreSQL \(info.pgVersion) system \(info.systemIdentifier)",
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
                                                              identity: try objectIdentity(of: .history(timeline)),
                                                              otherCopy: repository.otherCopy(of: key))
        return try TimelineHistory(parsing: sink.bytes, timeline: timeline, file: object)
    }
}
