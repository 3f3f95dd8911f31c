import PITRConfig
import PITRPipeline
import PITRStorage
import PITRSupport

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
    static let markerKey = "tailtown-pitr.repo"

    public init(storage: Storage, keyring: Keyring?) {
        self.storage = storage
        self.keyring = keyring
        self.key = keyring?.active
    }

    /// A repository with one key (or none).
    public convenience init(storage: Storage, key: MasterKey?) {
        self.init(storage: storage, keyring: key.map(Keyring.init(single:)))
    }

    /// The repository the settings name (TAILTOWN_REPO), on its storage, with the configured keys.
    public static func open(settings: Settings, environment: [String: String], log: Log) throws -> Repository {
        let keyring = try settings.keyring(home: environment["HOME"], log: log)
        switch try settings.repository() {
        case .file(let path):
            return Repository(storage: FileStorage(root: path), keyring: keyring)
        case .s3(let bucket, let prefix):
            let configuration = try settings.s3Configuration(bucket: bucket, prefix: prefix, home: environment["HOME"])
            return Repository(storage: try S3Storage(configuration: configuration, log: log), keyring: keyring)
        }
    }

    package var name: String { storage.describe("") }

    /// What a repository without a key gets, said by `config` and `check`: with no secret nothing can be
    /// authenticated, only checked against accidents.
    public static let withoutKeyNote = "objects carry digests that catch accidental damage and misnamed copies, "
        + "but anyone who can write to the repository can change what restore uses without it being noticed; "
        + "set TAILTOWN_ENCRYPTION_KEY_FILE (made by 'tailtown-pitr keygen') in a new repository to have everything authenticated"

    /// Refuses a key that does not match the repository's (or a missing or superfluous one),
    /// recording the encryption of a new repository on its first write.
    public func checkEncryption() throws {
        let expected = MetadataText([("format", "1")] + encryptionFacts)
        let marker = try readMetadata(Repository.markerKey) ?? createMetadata(Repository.markerKey, expected)
        try checkKey(against: marker, object: Repository.markerKey)
    }

    /// The marker's encryption lines for this repository's key; `archive.info` repeats them.
    var encryptionFacts: [(key: String, value: String)] {
        [("encryption", key == nil ? "none" : "aes-256-gcm"), ("key-id", key?.keyIDHex ?? "")]
    }

    /// Refuses a key that does not match the `encryption` and `key-id` lines of `metadata` (stored under `object`).
    func checkKey(against metadata: MetadataText, object: String) throws {
        let keyID = metadata["key-id"] ?? ""
        switch (metadata["encryption"], key) {
        case ("none", nil):
            return
        case ("none", .some):
            throw ArchiveError.repositoryNotEncrypted(repository: name)
        case ("aes-256-gcm", nil):
            throw ArchiveError.repositoryEncrypted(repository: name, keyID: keyID)
        case ("aes-256-gcm", .some(let key)):
            // Any configured key will do: after `keygen --activate` the marker still names the first key.
            guard keyring?.idsHex.contains(keyID) == true else {
                throw ArchiveError.wrongKey(repository: name, repositoryKeyID: keyID,
                                            givenKeyID: keyring?.idsHex.joined(separator: ", ") ?? key.keyIDHex)
            }
        default:
            throw ArchiveError.unreadableMetadata(object: storage.describe(object), reason: "unknown encryption '\(metadata["encryption"] ?? "")'")
        }
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
        if try upload.commit(replace: false) == .stored { return text }
        return try readMetadata(key) ?? text
    }
}
