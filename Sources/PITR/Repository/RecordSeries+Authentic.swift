import PITRPipeline
import PITRStorage
import PITRSupport

/// Which record of a series stands: the newest that authenticates (sealed, by a key of the key file, bound to its own
/// name), not the newest by name. Anyone who can write to the bucket can put a record under a newer name; one that does
/// not authenticate is passed over with a warning naming it (and `verify` reports it), so that it neither stops the
/// readers, nor decides in the genuine ones' place, nor makes `delete` remove them.
extension RecordSeries {
    /// A record as stored, and decoded.
    package struct Sealed {
        package let entry: Entry
        package let bytes: [UInt8]
        package let metadata: SealedMetadata
        package var text: MetadataText {
            switch metadata {
            case .sealed(let text, _), .plainText(let text): text
            }
        }
    }

    /// A record newer than the one that stands which does not authenticate, and why.
    package struct Rejected: Equatable, Sendable {
        package let entry: Entry
        /// Its description (`Storage.describe`).
        package let object: String
        package let reason: String

        package static func == (a: Rejected, b: Rejected) -> Bool { a.object == b.object && a.reason == b.reason }
    }

    /// Reads the records of the series in `listing` that `include` takes, newest first, up to the first that
    /// authenticates (sealed, bound to `identity` of its key): that one (nil when none does), and the newer ones that do
    /// not, each warned of once per command (`instead` says what is read instead) unless `quiet` (an earlier release's
    /// plain record that its reader counts as such). A record listed but gone when read is passed over without a word.
    package func newestSealed(in listing: [StoredObject], of repository: Repository, limit: Int = 1 << 20, instead: String,
                              include: (Entry) -> Bool = { _ in true }, quiet: (Entry, SealedMetadata) -> Bool = { _, _ in false },
                              identity: (String) throws -> ObjectIdentity) throws -> (standing: Sealed?, rejected: [Rejected]) {
        var rejected: [Rejected] = []
        for entry in entries(in: listing).reversed() where include(entry) {
            let key = entry.object.key
            let object = repository.storage.describe(key)
            let reason: String
            do {
                guard let bytes = try repository.storage.readSmallObject(key, limit: limit) else { continue }
                let metadata = try SealedMetadata.decode(bytes, identity: identity(key), object: object, keyring: repository.keyring, limit: limit)
                if case .sealed = metadata { return (Sealed(entry: entry, bytes: bytes, metadata: metadata), rejected) }
                if quiet(entry, metadata) { continue }
                reason = "it is plain text, not sealed"
            } catch let error as StorageError {
                guard case .tooLarge = error else { throw error }
                reason = error.description
            } catch {
                reason = "\(error)"
            }
            rejected.append(Rejected(entry: entry, object: object, reason: reason))
            repository.log.warning(once: object, about: Self.rejectedTopic, "\(object) is ignored, as it does not authenticate "
                + "(\(reason)): \(instead); anyone who can write to the repository can put such an object there, 'verify' reports it")
        }
        return (nil, rejected)
    }

    /// The records in `listing` older than `standing` (none without one): what it supersedes. A name alone, which anyone
    /// who can write to the bucket can take, never supersedes a record.
    package func superseded(in listing: [StoredObject], by standing: Sealed?, include: (Entry) -> Bool = { _ in true }) -> [StoredObject] {
        guard let standing else { return [] }
        return entries(in: listing).filter { include($0) && $0.sequence < standing.entry.sequence }.map(\.object)
    }

    package static let rejectedTopic = "record that does not authenticate"
}
