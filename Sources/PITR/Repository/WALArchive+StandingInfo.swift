import PITRStorage

/// Which `archive.info.sealed.<n>` stands: the newest that authenticates, not the newest by name. Anyone who can write to
/// the bucket can put a record under a newer name; one that does not authenticate is passed over with a warning naming
/// it (and `verify` reports it), so that it neither stops the readers nor makes `delete` remove the genuine one.
extension WALArchive {
    /// The newest record of `infoSeries` sealed again since the first, as stored and decoded.
    package struct StandingInfo {
        package let entry: RecordSeries.Entry
        package let bytes: [UInt8]
        package let metadata: SealedMetadata
    }

    /// A record of `infoSeries` newer than the one that stands which does not authenticate, and why.
    package struct RejectedInfo: Equatable, Sendable {
        /// Its description (`Storage.describe`).
        package let object: String
        package let reason: String
    }

    /// Reads the records of `infoSeries` in `listing` but the first, newest first, up to the first that authenticates
    /// (sealed, by a key of the key file, bound to its own name): that one (nil when none does), and the newer ones that
    /// do not, each warned of once per command. A record listed but gone when read is passed over without a word.
    package func standingInfo(in listing: [StoredObject]) throws -> (standing: StandingInfo?, rejected: [RejectedInfo]) {
        var rejected: [RejectedInfo] = []
        for entry in infoSeries.entries(in: listing).reversed() where entry.object.key != infoKey {
            let key = entry.object.key
            guard let bytes = try repository.storage.readSmallObject(key) else { continue }
            let object = repository.storage.describe(key)
            let reason: String
            do {
                let metadata = try SealedMetadata.decode(bytes, identity: infoIdentity(key), object: object, keyring: repository.keyring)
                if case .sealed = metadata { return (StandingInfo(entry: entry, bytes: bytes, metadata: metadata), rejected) }
                reason = "it is plain text, not sealed"
            } catch {
                reason = "\(error)"
            }
            rejected.append(RejectedInfo(object: object, reason: reason))
            repository.log.warning(once: object, about: Self.rejectedTopic, "\(object) is ignored, as it does not authenticate "
                + "(\(reason)): an older record of archive.info is read instead; anyone who can write to the repository can put such "
                + "an object there, 'verify' reports it")
        }
        return (nil, rejected)
    }

    static let rejectedTopic = "archive.info record that does not authenticate"
}
