import PITRRepository
import PITRPipeline

/// The finished backups of a repository: those with a descriptor. Objects of a backup that never
/// got its descriptor (killed mid-stream) are not backups and are never listed.
public struct BackupCatalog {
    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Every descriptor, oldest stop time first (newest last, like `ls -ltr`).
    public func list() throws -> [BackupDescriptor] {
        let keys = try repository.storage.list(prefix: BackupDescriptor.folder + "/")
            .filter { key in
                let parts = key.split(separator: "/")
                return parts.count == 3 && parts[2] == BackupDescriptor.fileName
            }
        var descriptors: [BackupDescriptor] = []
        for key in keys {
            guard let bytes = try repository.storage.readSmallObject(key) else { continue }
            descriptors.append(try read(bytes, backup: String(key.split(separator: "/")[1]), object: repository.storage.describe(key)))
        }
        return descriptors.sorted { ($0.stopTime, $0.name) < ($1.stopTime, $1.name) }
    }

    /// Stores `descriptor`, which makes its backup one, as an object bound to its backup's name; never replaces one.
    package func store(_ descriptor: BackupDescriptor, options: ObjectOptions) throws {
        let key = BackupDescriptor.key(of: descriptor.name)
        let upload = try repository.storage.startUpload(key)
        do {
            _ = try ObjectEncoder(options: options).encode(from: MemorySource(descriptor.text.bytes), to: upload,
                                                           as: BackupDescriptor.descriptorIdentity(backup: descriptor.name))
        } catch {
            upload.abort()
            throw error
        }
        guard try upload.commit(replace: false) == .stored else {
            throw BackupError.nameTaken(object: repository.storage.describe(key))
        }
    }

    /// A descriptor is an object bound to its backup's name (decoded and authenticated under the repository's key),
    /// or, written by an earlier release, plain text.
    private func read(_ bytes: [UInt8], backup: String, object: String) throws -> BackupDescriptor {
        // A name is bound into the identity line by line; one with a control character is not a backup's.
        guard !backup.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw BackupError.unreadableDescriptor(object: object, reason: "its folder's name holds a control character")
        }
        guard bytes.starts(with: ObjectHeader.magic) else {
            var descriptor = try BackupDescriptor(parsing: bytes, object: object)
            descriptor.isObject = false
            return descriptor
        }
        let text = MemorySink(limit: 1 << 24, object: object)
        _ = try ObjectDecoder(keyring: repository.keyring).decode(from: MemorySource(bytes), to: text, object: object,
                                                              identity: BackupDescriptor.descriptorIdentity(backup: backup))
        let descriptor = try BackupDescriptor(parsing: text.bytes, object: object)
        guard descriptor.name == backup else {
            throw BackupError.unreadableDescriptor(object: object, reason: "it names backup \(descriptor.name)")
        }
        return descriptor
    }
}
