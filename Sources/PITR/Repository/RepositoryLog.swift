import PITRNative
import PITRPipeline
import PITRStorage
import PITRSupport

/// The repository log (docs/format.md, "Repository log"): `log/<sequence>`, one sealed object per change of the
/// `RepositoryState`, each holding the whole state, its sequence number and the digest of the entry before it.
/// Entries are only ever added, each created only if its name is free, so two writers never both append the same
/// number: the loser reads the winner's entry and tries again on top of it. In an encrypted repository every entry
/// is authenticated by a key the state itself accepts; someone who can write to the storage but holds no key can
/// add nothing, change nothing, and only roll the log back by deleting its newest entries (docs/format.md says
/// what that can and cannot do).
package struct RepositoryLog {
    static let folder = "log/"
    let repository: Repository

    package struct Entry {
        package let sequence: UInt64
        package let state: RepositoryState
        /// The id of the key that sealed the entry; empty without encryption.
        let keyID: String
        /// SHA-256 of the entry as stored, which the next entry records as `previous`.
        let digest: String
        /// The entry as stored (what `MetadataCache` keeps).
        let bytes: [UInt8]
    }

    static func key(_ sequence: UInt64) -> String { folder + Hex.format(sequence, width: 16) }

    static func identity(_ sequence: UInt64) -> ObjectIdentity {
        ObjectIdentity(["log": Hex.format(sequence, width: 16)])
    }

    /// The newest entry, or nil when the repository has no log (new, or made by a release from before it).
    package func newest() throws -> Entry? {
        let sequences = try repository.storage.list(prefix: RepositoryLog.folder).compactMap { key -> UInt64? in
            let name = key.dropFirst(RepositoryLog.folder.count)
            guard name.count == 16 else { return nil }
            return UInt64(name, radix: 16)
        }
        guard let newest = sequences.max() else { return nil }
        return try read(newest)
    }

    /// Entry `sequence`, authenticated: sealed, bound to its number, and (encrypted) sealed by a key it accepts.
    func read(_ sequence: UInt64) throws -> Entry {
        let key = RepositoryLog.key(sequence)
        let object = repository.storage.describe(key)
        guard let bytes = try repository.storage.readSmallObject(key) else {
            throw ArchiveError.unreadableMetadata(object: object, reason: "it was removed while being read")
        }
        return try entry(sequence, decoding: bytes)
    }

    /// Entry `sequence` from its stored `bytes` (read from the repository or from `MetadataCache`), authenticated as `read` says.
    func entry(_ sequence: UInt64, decoding bytes: [UInt8]) throws -> Entry {
        let object = repository.storage.describe(RepositoryLog.key(sequence))
        let decoded: SealedMetadata
        do {
            decoded = try SealedMetadata.decode(bytes, identity: RepositoryLog.identity(sequence), object: object, keyring: repository.keyring)
        } catch ObjectFormatError.plaintextButKeyGiven {
            throw ArchiveError.repositoryNotEncrypted(repository: repository.name)
        } catch ObjectFormatError.encryptedButNoKey(_, let keyID) {
            throw ArchiveError.repositoryEncrypted(repository: repository.name, keyID: keyID)
        } catch ObjectFormatError.wrongKey(_, let expected, let given) {
            throw ArchiveError.wrongKey(repository: repository.name, repositoryKeyID: expected, givenKeyID: given.joined(separator: ", "))
        }
        guard case .sealed(let text, let keyID) = decoded else {
            throw ArchiveError.unreadableMetadata(object: object, reason: "a log entry must be a sealed object, not plain text")
        }
        let state = try RepositoryState(parsing: text, object: object)
        guard text["sequence"] == String(sequence) else {
            throw ArchiveError.unreadableMetadata(object: object, reason: "it records sequence \(text["sequence"] ?? "none")")
        }
        guard state.encrypted == !keyID.isEmpty, !state.encrypted || state.acceptedKeys.contains(keyID) else {
            throw ArchiveError.unreadableMetadata(object: object, reason: "it is sealed by key \(keyID.isEmpty ? "none" : keyID), which it does not accept")
        }
        return Entry(sequence: sequence, state: state, keyID: keyID, digest: hex(try SHA256Hasher.digest(bytes)), bytes: bytes)
    }

    /// Appends `state` after `previous` (nil: the first entry), sealed under `key`; nil when another process appended
    /// that number first.
    func append(_ state: RepositoryState, after previous: Entry?, under key: MasterKey?, now: UTCTime = .now()) throws -> Entry? {
        let sequence = (previous?.sequence ?? 0) + 1
        let text = MetadataText([("sequence", String(sequence)), ("previous", previous?.digest ?? "none"), ("written", now.iso8601)]
            + state.lines)
        let outcome = try SealedMetadata.store(text, at: RepositoryLog.key(sequence), identity: RepositoryLog.identity(sequence),
                                               under: key, in: repository)
        return outcome == .stored ? try read(sequence) : nil
    }

    /// Applies `change` to the state of `newest` and appends the result sealed under the key `sealer` picks (given the
    /// state before the change), unless nothing changed and `newest` is already sealed by that key. When another process
    /// appended first, starts again from its entry.
    func amend(_ newest: Entry, _ change: (inout RepositoryState) throws -> Void,
               sealer: (RepositoryState) throws -> MasterKey?) throws -> Entry {
        var newest = newest
        for _ in 0..<16 {
            var state = newest.state
            try change(&state)
            let key = try sealer(newest.state)
            if state == newest.state, (key?.keyIDHex ?? "") == newest.keyID { return newest }
            if let appended = try append(state, after: newest, under: key) { return appended }
            guard let next = try self.newest() else { break }
            newest = next
        }
        throw ArchiveError.unreadableMetadata(object: repository.storage.describe(RepositoryLog.folder),
                                              reason: "it changed under every attempt to append to it; try again")
    }
}
