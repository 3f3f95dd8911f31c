import PITRSupport

/// Failures of wal-push and wal-fetch that are not a storage, format or WAL error of their own.
public enum ArchiveError: PITRError {
    case differentContent(file: String, object: String)
    case repositoryEncrypted(repository: String, keyID: String)
    case repositoryNotEncrypted(repository: String)
    case wrongKey(repository: String, repositoryKeyID: String, givenKeyID: String)
    case unreadableMetadata(object: String, reason: String)
    case segmentSizeMismatch(file: String, archive: String, archived: UInt64, given: UInt64)
    case systemMismatch(archive: String, archived: String, given: String)
    case otherCluster(repository: String, archived: [String], given: String)
    case noRepository(repository: String)
    case noArchive(archive: String)
    case objectLockRequired(repository: String, mode: String)
    case differentCopy(object: String, original: String)

    public var description: String {
        switch self {
        case .differentContent(let file, let object):
            "WAL file '\(file)' is already archived as \(object) with different content: nothing was overwritten; find out why two clusters or two timelines wrote the same WAL name before archiving continues"
        case .repositoryEncrypted(let repository, let keyID):
            "repository \(repository) is encrypted (key id \(keyID)) but no key is configured: set TAILTOWN_ENCRYPTION_KEY_FILE"
        case .repositoryNotEncrypted(let repository):
            "repository \(repository) was created without encryption but an encryption key is configured: use a new repository for encrypted archives, or remove TAILTOWN_ENCRYPTION_KEY(_FILE)"
        case .wrongKey(let repository, let repositoryKeyID, let givenKeyID):
            "repository \(repository) is encrypted with key id \(repositoryKeyID) but no configured key has that id (configured: \(givenKeyID)): configure the repository's key"
        case .unreadableMetadata(let object, let reason):
            "repository metadata \(object) is unreadable: \(reason)"
        case .segmentSizeMismatch(let file, let archive, let archived, let given):
            "WAL file '\(file)' has segment size \(given) bytes but archive \(archive) holds segments of \(archived) bytes"
        case .systemMismatch(let archive, let archived, let given):
            "archive \(archive) was made for \(archived) but this cluster is \(given)"
        case .otherCluster(let repository, let archived, let given):
            "repository \(repository) archives \(archived.count == 1 ? "cluster" : "clusters") \(archived.joined(separator: ", ")) and this cluster \(given) is not of a newer major (a pg_upgrade), so it is refused: check TAILTOWN_REPO and archive_command; if this cluster is meant to archive here, run 'tailtown-pitr accept-cluster \(given)' once"
        case .noArchive(let archive):
            "\(archive) holds no WAL archive (no archive.info): nothing was ever archived there for this cluster; check TAILTOWN_REPO and archive_command"
        case .objectLockRequired(let repository, let mode):
            "repository \(repository) locks every object it holds (S3 Object Lock, \(mode)) but TAILTOWN_S3_OBJECT_LOCK is not set here: set it to \(mode.lowercased()), so that what this command writes is locked too"
        case .differentCopy(let object, let original):
            "\(object) differs from \(original), of which it should be a copy: nothing was overwritten; find out what wrote it"
        case .noRepository(let repository):
            "there is no repository at \(repository) (no \(Repository.markerKey)): check TAILTOWN_REPO, and that the storage is mounted or reachable"
        }
    }
}
