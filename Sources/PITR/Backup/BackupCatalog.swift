import PITRRepository
import PITRPipeline
import PITRStorage

/// The finished backups of a repository: those with a descriptor. Objects of a backup that never
/// got its descriptor (killed mid-stream) are not backups and are never listed.
public struct BackupCatalog {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Every descriptor, oldest stop time first (newest last, like `ls -ltr`). Throws on the first descriptor that cannot
    /// be used: what deletes or vouches for backups (`delete`, `verify`) must not act on a partial list.
    public func list() throws -> [BackupDescriptor] {
        let listing = try scan()
        if let first = listing.unreadable.first { throw first.error }
        return listing.backups
    }

    /// A backup whose descriptor cannot be used (damaged, sealed under a key not configured, or put there without the key).
    public struct Unreadable {
        public let backup: String
        public let error: any Error
    }

    /// Every descriptor that can be used, oldest stop time first, and the backups whose descriptor cannot: what restores
    /// uses the others rather than none (storage errors still throw).
    public func scan() throws -> (backups: [BackupDescriptor], unreadable: [Unreadable]) {
        let keys = try repository.storage.list(prefix: BackupDescriptor.folder + "/")
            .filter { key in
                let parts = key.split(separator: "/")
                return parts.count == 3 && parts[2] == BackupDescriptor.fileName
            }
        var descriptors: [BackupDescriptor] = []
        var unreadable: [Unreadable] = []
        let state = try repository.recordedState()
        for key in keys {
            let backup = String(key.split(separator: "/")[1])
            do {
                guard let bytes = try repository.storage.readSmallObject(key) else { continue }
                descriptors.append(try read(bytes, backup: backup, object: repository.storage.describe(key), state: state))
            } catch let error as ObjectFormatError {
                unreadable.append(Unreadable(backup: backup, error: error))
            } catch let error as BackupError {
                unreadable.append(Unreadable(backup: backup, error: error))
            } catch let error as ArchiveError {
                // Text that is not key=value lines.
                unreadable.append(Unreadable(backup: backup, error: error))
            } catch let error as StorageError {
                guard case .tooLarge = error else { throw error }
                unreadable.append(Unreadable(backup: backup, error: error))
            }
        }
        return (descriptors.sorted { ($0.stopTime, $0.name) < ($1.stopTime, $1.name) }, unreadable)
    }

    /// Stores `descriptor`, which makes its backup one, as an object bound to its backup's name; never replaces one.
    package func store(_ descriptor: BackupDescriptor, options: ObjectOptions) throws {
        let key = BackupDescriptor.key(of: descriptor.name)
        let identity = BackupDescriptor.descriptorIdentity(repository: try repository.state().repositoryID, backup: descriptor.name)
        guard try SealedMetadata.store(descriptor.text, at: key, identity: identity, under: options.key, in: repository,
                                       compression: options.compression) == .stored else {
            throw BackupError.nameTaken(object: repository.storage.describe(key))
        }
    }

    /// A descriptor is an object bound to its repository and backup's name (decoded and authenticated under the
    /// repository's key), or plain text, written by an earlier release before the repository log recorded the switch
    /// to format 2 (`state`, nil for a repository with no log yet).
    private func read(_ bytes: [UInt8], backup: String, object: String, state: RepositoryState?) throws -> BackupDescriptor {
        // A name is bound into the identity line by line; one with a control character is not a backup's.
        guard !backup.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw BackupError.unreadableDescriptor(object: object, reason: "its folder's name holds a control character")
        }
        let identity = BackupDescriptor.descriptorIdentity(repository: state?.repositoryID ?? "", backup: backup)
        var descriptor: BackupDescriptor
        switch try SealedMetadata.decode(bytes, identity: identity, object: object, keyring: repository.keyring, limit: 1 << 24) {
        case .plainText(let text):
            if let state, !state.legacyBackups.contains(backup) {
                throw BackupError.unreadableDescriptor(object: object, reason: "it is plain text, but the repository log lists no such backup from before the switch to format 2: it was put there without the key")
            }
            descriptor = try BackupDescriptor(text: text, object: object)
            descriptor.isObject = false
        case .sealed(let text, _):
            descriptor = try BackupDescriptor(text: text, object: object)
            descriptor.repositoryID = state?.repositoryID ?? ""
        }
        guard descriptor.name == backup else {
            throw BackupError.unreadableDescriptor(object: object, reason: "it names backup \(descriptor.name)")
        }
        return descriptor
    }
}
