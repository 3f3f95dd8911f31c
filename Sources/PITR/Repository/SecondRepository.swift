import PITRConfig
import PITRPipeline
import PITRStorage
import PITRSupport
import PITRWAL

/// The second repository (TAILTOWN_REPO2): the same repository as the first, its id and its keys, in another place.
/// Objects are copied to it as they are stored: each is bound to its name and sealed by the repository's keys, never
/// to where it is, so a copy stays valid and authenticated there.
public struct SecondRepository {
    public let first: Repository
    public let second: Repository

    public init(first: Repository, second: Repository) {
        self.first = first
        self.second = second
    }

    /// Refuses a second repository that holds another repository or was made with another key, then copies to it the
    /// first's metadata it lacks (its marker, the log's entries, the `archive.info` of `archives`), so that it is
    /// readable on its own. One it holds with other bytes is refused too (`differentMetadata`), never replaced: metadata
    /// is written once (under S3 Object Lock a replacement is a new version), so the two have diverged. Nothing is
    /// written to a second repository that is refused.
    public func setUp(archives: [ClusterIdentity]) throws {
        guard let firstState = try first.recordedState() else { return }
        try check(against: firstState)
        let held = Dictionary(try second.metadataObjects(archives: archives).map { ($0.key, $0.size) }, uniquingKeysWith: { a, _ in a })
        let count = ObjectTrailer.size
        let lacking = try first.metadataObjects(archives: archives).filter { object in
            guard held[object.key] != nil else { return true }
            guard held[object.key] == object.size,
                  try first.storage.readTail(of: object.key, count: count) == second.storage.readTail(of: object.key, count: count) else {
                throw SecondRepositoryError.differentMetadata(second: second.name, object: second.storage.describe(object.key), original: first.storage.describe(object.key))
            }
            return false
        }
        for object in lacking { try copy(object.key) }
    }

    private func check(against firstState: RepositoryState) throws {
        let secondState: RepositoryState?
        do {
            secondState = try RepositoryLog(repository: second).newest()?.state
        } catch let error as ArchiveError {
            switch error {
            case .wrongKey, .repositoryEncrypted, .repositoryNotEncrypted:
                throw SecondRepositoryError.otherKey(second: second.name, reason: error.description)
            default:
                throw error
            }
        } catch let error as ObjectFormatError {
            throw SecondRepositoryError.otherKey(second: second.name, reason: error.description)
        }
        let secondID = try secondState?.repositoryID ?? second.readMetadata(Repository.markerKey)?["repository-id"]
        if let secondID, secondID != firstState.repositoryID {
            throw SecondRepositoryError.otherRepository(second: second.name, secondID: secondID, firstID: firstState.repositoryID)
        }
    }

    /// Copies the object stored under `key` in the first repository to the second, byte for byte. One the second holds
    /// already is left alone when its trailer (the digest of the content) is the same, and is an error otherwise. Returns
    /// the bytes written, 0 when it was there; throws `StorageError.notFound` when the first has no such object.
    @discardableResult
    package func copy(_ key: String) throws -> Int {
        let source = try first.storage.openForReading(key)
        let upload = try second.storage.startUpload(key)
        let bytes: Int
        do {
            bytes = try copyAll(from: source, to: upload, blockSize: 2 << 20)
        } catch {
            upload.abort()
            throw error
        }
        guard try upload.commit() == .alreadyExists else { return bytes }
        let count = ObjectTrailer.size
        guard try first.storage.readTail(of: key, count: count) == second.storage.readTail(of: key, count: count) else {
            throw ArchiveError.differentCopy(object: second.storage.describe(key), original: first.storage.describe(key))
        }
        return 0
    }
}
