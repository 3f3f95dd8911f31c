import PITRConfig
import PITRPipeline
import PITRStorage
import PITRSupport
import PITRWAL

/// Opens another connection to the same repository, for a thread of its own (a storage connection is not shared
/// between threads): the one way extra connections are passed to what works on several threads.
public typealias RepositoryOpener = () throws -> Repository

/// A repository: the storage that holds it, the keys its objects are encrypted with,
/// and the facts it records about itself in `tailtown-pitr.repo` (docs/format.md).
public final class Repository {
    public let storage: Storage
    /// Every configured key: reads pick one by the id in the object's header.
    public let keyring: Keyring?
    /// The active key, which encrypts what is written.
    public let key: MasterKey?
    /// Where what the repository meets on its way is warned of (a record that does not authenticate).
    package let log: Log
    package static let markerKey = "tailtown-pitr.repo"
    /// The log's state, once read (`state`, `recordedState`).
    var cachedState: RepositoryState?
    /// Each archive's `archive.info`, once read (`WALArchive.info`).
    var archiveInfos: [String: ArchiveInfo] = [:]
    /// Where wal-push and wal-fetch find the metadata they need without a request (S3); nil for none.
    package var metadataCache: MetadataCache?
    /// Whether metadata in use came from `metadataCache` (a failure may then be stale metadata's).
    var usesCachedMetadata = false
    /// False once cached metadata was suspected: the repository is read, and the cache only written.
    var readsMetadataCache = true

    public init(storage: Storage, keyring: Keyring?, log: Log = Log()) {
        self.storage = storage
        self.keyring = keyring
        self.key = keyring?.active
        self.log = log
    }

    /// A repository with one key (or none).
    public convenience init(storage: Storage, key: MasterKey?) {
        self.init(storage: storage, keyring: key.map(Keyring.init(single:)))
    }

    /// The repository the settings name (TAILTOWN_REPO), on its storage, with the configured keys. `lockHorizon`: the
    /// seconds a new object is needed for at least, which S3 Object Lock adds its margin to.
    public static func open(settings: Settings, environment: [String: String], log: Log, lockHorizon: Int64 = 0) throws -> Repository {
        let keyring = try settings.keyring(home: environment["HOME"], log: log)
        switch try settings.repository() {
        case .file(let path):
            return Repository(storage: FileStorage(root: path), keyring: keyring, log: log)
        case .s3(let bucket, let prefix):
            let configuration = try settings.s3Configuration(bucket: bucket, prefix: prefix, home: environment["HOME"], log: log,
                                                             lockHorizon: lockHorizon)
            let repository = Repository(storage: try S3Storage(configuration: configuration, log: log), keyring: keyring, log: log)
            repository.metadataCache = MetadataCache.open(folder: try settings.cacheFolder(home: environment["HOME"]),
                                                          location: location(of: configuration), log: log)
            return repository
        }
    }

    package var name: String { storage.describe("") }

    /// Where an S3 repository is, as `MetadataCache` keys it: the same bucket and prefix on another endpoint is another repository.
    private static func location(of configuration: S3Configuration) -> String {
        let endpoint = configuration.endpoint
        return "\(endpoint.scheme)://\(endpoint.host)\(endpoint.port.map { ":\($0)" } ?? "")/\(configuration.bucket)/\(configuration.prefix)"
    }

    /// What a repository without a key gets, said by `config` and `check`: with no secret nothing can be
    /// authenticated, only checked against accidents.
    public static let withoutKeyNote = "objects carry digests that catch accidental damage and misnamed copies, "
        + "but anyone who can write to the repository can change what restore uses without it being noticed; "
        + "set TAILTOWN_ENCRYPTION_KEY_FILE (made by 'tailtown-pitr keygen') in a new repository to have everything authenticated"

    /// Refuses a key the repository does not accept (or a missing or superfluous one), starting the repository log in
    /// a new repository or one made by an earlier release (`state`).
    public func checkEncryption() throws {
        _ = try state()
    }

    /// The repository's state from the newest log entry, after checking the configured key against it; read once per
    /// connection. Starts the log where there is none (a new repository, or one an earlier release made: the switch to
    /// format 2), accepts the active key when the configured keys hold one the repository accepts already, and re-seals
    /// the state under the active key when the newest entry was sealed by another, so an old key is never needed to read it.
    /// Writes: only the commands that write to the repository call this.
    package func state() throws -> RepositoryState {
        if let cachedState { return cachedState }
        let log = RepositoryLog(repository: self)
        let recorded = try log.newest()
        try checkLocking(recorded: recorded?.state.objectLock)
        let probed = recorded?.state.conditionalWrites == true ? false : try storage.checkConditionalWrites()
        let newest = try recorded ?? startLog(log)
        try checkKey(against: newest.state)
        var entry = try log.amend(newest, { state in
            if let key, !state.acceptedKeys.contains(key.keyIDHex) { state.acceptedKeys.append(key.keyIDHex) }
            state.objectLock = storage.objectLock?.mode.rawValue
            if probed { state.conditionalWrites = true }
        }, sealer: { before in
            // A key joins the list in an entry sealed by a key the list already held.
            guard let key else { return nil }
            return before.acceptedKeys.contains(key.keyIDHex) ? key : decryptionKeys.first { before.acceptedKeys.contains($0.keyIDHex) }
        })
        if let key, entry.keyID != key.keyIDHex {
            entry = try log.amend(entry, { _ in }, sealer: { _ in key })
        }
        cachedState = entry.state
        return entry.state
    }

    /// Before a writer records anything: a repository whose log records Object Lock takes only writers that lock what
    /// they write, and a writer that locks checks, before its first locked write here, that the store can (once: the mode
    /// is then recorded).
    private func checkLocking(recorded: String?) throws {
        guard let mode = storage.objectLock?.mode.rawValue else {
            if let recorded { throw ArchiveError.objectLockRequired(repository: name, mode: recorded) }
            return
        }
        if recorded != mode { try storage.checkLocking() }
    }

    /// The state recorded in the log without writing anything, nil when the repository has no log yet (read-only
    /// commands on a repository of an earlier release).
    package func recordedState() throws -> RepositoryState? {
        if let cachedState { return cachedState }
        guard let newest = try RepositoryLog(repository: self).newest() else { return nil }
        metadataCache?.write(RepositoryLog.folder, key: RepositoryLog.key(newest.sequence), bytes: newest.bytes)
        cachedState = newest.state
        return newest.state
    }

    /// The log's newest state as `metadataCache` holds it, authenticated as the stored entry is; nil when there is none
    /// usable. Only its repository id is relied on (`WALArchive.info`), which never changes.
    func cachedLogState() -> RepositoryState? {
        guard readsMetadataCache, let metadataCache, let (key, bytes) = metadataCache.read(RepositoryLog.folder),
              let sequence = UInt64(key.dropFirst(RepositoryLog.folder.count), radix: 16) else { return nil }
        do {
            return try RepositoryLog(repository: self).entry(sequence, decoding: bytes).state
        } catch {
            metadataCache.reject(RepositoryLog.folder, "\(error)")
            return nil
        }
    }

    /// Runs `body`; when it fails in a way stale metadata could explain (an `ArchiveError` or `ObjectFormatError`: a 412
    /// whose stored object does not match, an object bound to another identity or sealed by an unknown key, a segment
    /// size that differs) while metadata from `metadataCache` was in use, reads the metadata from the repository and
    /// runs `body` once more. `body` must be safe to run twice.
    package func retryingWithFreshMetadata<T>(log: Log, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PITRError where usesCachedMetadata && (error is ArchiveError || error is ObjectFormatError) {
            log.debug("\(error.description), with cached metadata: reading it from the repository again")
            usesCachedMetadata = false
            readsMetadataCache = false
            archiveInfos = [:]
            cachedState = nil
            return try body()
        }
    }

    /// Refuses a configured key (or its absence) that `state` does not accept, unless one of the configured keys is
    /// accepted: the active key then joins.
    func checkKey(against state: RepositoryState) throws {
        switch (state.encrypted, key) {
        case (false, nil):
            return
        case (false, .some):
            throw ArchiveError.repositoryNotEncrypted(repository: name)
        case (true, nil):
            throw ArchiveError.repositoryEncrypted(repository: name, keyID: state.acceptedKeys.last ?? "")
        case (true, .some(let key)):
            guard decryptionKeys.contains(where: { state.acceptedKeys.contains($0.keyIDHex) }) else {
                throw ArchiveError.wrongKey(repository: name, repositoryKeyID: state.acceptedKeys.joined(separator: ", "), givenKeyID: key.keyIDHex)
            }
        }
    }

    /// Every configured key, the active one first.
    var decryptionKeys: [MasterKey] { keyring.map { [$0.active] + $0.entries.filter { $0.status != .active }.map(\.key) } ?? [] }

    /// The first log entry: a new repository's, or the switch of one an earlier release made, whose marker gives its
    /// encryption and key, whose archives keep their format 1 objects up to what they hold now, and whose plain-text
    /// backup descriptors stay readable.
    private func startLog(_ log: RepositoryLog) throws -> RepositoryLog.Entry {
        let marker = try readMetadata(Repository.markerKey) ?? createMetadata(Repository.markerKey, MetadataText([
            ("format", "2"), ("repository-id", try RepositoryState.newRepositoryID()),
            ("encryption", key == nil ? "none" : "aes-256-gcm"),
        ]))
        let encrypted: Bool
        switch marker["encryption"] {
        case "none": encrypted = false
        case "aes-256-gcm": encrypted = true
        default: throw ArchiveError.unreadableMetadata(object: storage.describe(Repository.markerKey), reason: "unknown encryption '\(marker["encryption"] ?? "")'")
        }
        let accepted = encrypted ? [marker["key-id"] ?? key?.keyIDHex ?? ""].filter { !$0.isEmpty } : []
        var state = RepositoryState(repositoryID: try marker["repository-id"] ?? RepositoryState.newRepositoryID(),
                                    encrypted: encrypted, acceptedKeys: accepted)
        try checkKey(against: state)
        if marker["format"] == "1" { try recordFormat1(in: &state) }
        let sealer = decryptionKeys.first { accepted.contains($0.keyIDHex) }
        return try log.append(state, after: nil, under: sealer) ?? log.newest() ?? log.read(1)
    }

    /// The key that encrypted the object stored under `objectKey` when it is another configured key than the active one
    /// (written before `keygen --activate`), read from the object's header; nil when it is the active key, a key not
    /// configured, or the object is plain. Reads nothing with a single key.
    package func olderKey(ofObject objectKey: String) throws -> MasterKey? {
        guard let keyring, keyring.count > 1 else { return nil }
        let header = try ObjectHeader(parsing: storage.readHead(of: objectKey, count: ObjectHeader.size), object: storage.describe(objectKey))
        guard header.cipher != .none, header.keyID != keyring.active.keyID else { return nil }
        return keyring.key(id: header.keyID)
    }

    /// The ids of the keys that sealed what the repository keeps about itself: the log's newest entry and each
    /// `archive.info` in use (the first push after `keygen --activate` seals them again under the new key, each under a
    /// new name).
    package func metadataKeyIDs() throws -> Set<String> {
        var ids = Set<String>()
        if let newest = try RepositoryLog(repository: self).newest() { ids.insert(newest.keyID) }
        let listing = try storage.listObjects(prefix: "wal/")
        for identity in try ArchiveIndex.identities(among: listing.map(\.key), holding: ArchiveIndex.infoName) {
            // The archive.info in use: the newest sealed again since the first that authenticates, else the first.
            let archive = WALArchive(repository: self, identity: identity)
            let key = try archive.standingInfo(in: listing).standing?.entry.object.key ?? archive.infoKey
            let head = try storage.readHead(of: key, count: ObjectHeader.size)
            guard head.starts(with: ObjectHeader.magic) else { continue }
            let header = try ObjectHeader(parsing: head, object: storage.describe(key))
            if header.cipher != .none { ids.insert(hex(header.keyID)) }
        }
        return ids
    }

    /// What the repository keeps about itself and needs for ever: its marker, the log's entries, and the `archive.info`
    /// of each archive in `archives` with the newest of those sealed again (the superseded ones `delete` removes).
    package func metadataObjects(archives: [ClusterIdentity]) throws -> [StoredObject] {
        let infos = try archives.flatMap { identity in
            let archive = WALArchive(repository: self, identity: identity)
            let listing = try storage.listObjects(prefix: archive.infoKey)
            let superseded = Set(try archive.supersededInfo(in: listing).map(\.key))
            return listing.filter { !superseded.contains($0.key) }
        }
        return try [Repository.markerKey, RepositoryLog.folder].flatMap { try storage.listObjects(prefix: $0) } + infos
    }

    /// Throws unless the repository has its marker, that is, unless at least one push created it here.
    public func checkExists() throws {
        if try storage.size(of: Repository.markerKey) == nil {
            throw ArchiveError.noRepository(repository: name)
        }
    }

    /// Metadata stored under `key`, or nil when there is none.
    package func readMetadata(_ key: String) throws -> MetadataText? {
        guard let bytes = try storage.readSmallObject(key) else { return nil }
        return try MetadataText(parsing: bytes, object: storage.describe(key))
    }

    /// Stores metadata unless another process stored it first; returns what the repository holds afterwards.
    func createMetadata(_ key: String, _ text: MetadataText) throws -> MetadataText {
        let upload = try storage.startUpload(key)
        try text.bytes.withUnsafeBytes { try upload.write($0) }
        if try upload.commit() == .stored { return text }
        return try readMetadata(key) ?? text
    }
}
