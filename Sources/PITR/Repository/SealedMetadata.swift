import PITRNative
import PITRPipeline
import PITRStorage
import PITRSupport

/// A small `key=value` metadata object as the repository holds it (docs/format.md, "Repository log"): sealed, that
/// is an object of format 2 bound to its identity (encrypted, so authenticated, in an encrypted repository), or plain
/// text written by a release from before the log, which nothing authenticates.
package enum SealedMetadata {
    case sealed(MetadataText, keyID: String)
    case plainText(MetadataText)

    /// The metadata stored under `key`, nil when there is none. A sealed object is decoded with the repository's key
    /// and must be `identity`; neither the object nor its text may exceed `limit` bytes.
    package static func read(_ key: String, identity: ObjectIdentity, in repository: Repository, limit: Int = 1 << 20) throws -> SealedMetadata? {
        guard let bytes = try repository.storage.readSmallObject(key, limit: limit) else { return nil }
        return try decode(bytes, identity: identity, object: repository.storage.describe(key), keyring: repository.keyring, limit: limit)
    }

    /// `bytes` as stored under `object`, decoded with the key of `keyring` its header names.
    package static func decode(_ bytes: [UInt8], identity: ObjectIdentity, object: String, keyring: Keyring?, limit: Int = 1 << 20) throws -> SealedMetadata {
        guard bytes.starts(with: ObjectHeader.magic) else { return .plainText(try MetadataText(parsing: bytes, object: object)) }
        let header = try ObjectHeader(parsing: Array(bytes.prefix(ObjectHeader.size)), object: object)
        guard header.bindsIdentity else { throw ObjectFormatError.format1AfterSwitch(object: object, identity: identity.description) }
        let text = MemorySink(limit: limit, object: object)
        _ = try ObjectDecoder(keyring: keyring).decode(from: MemorySource(bytes), to: text, object: object, identity: identity)
        return .sealed(try MetadataText(parsing: text.bytes, object: object), keyID: header.cipher == .none ? "" : hex(header.keyID))
    }

    /// The id of the key that sealed `bytes` ("" unencrypted), from the header alone; nil for plain text, or a header
    /// that does not parse (which `decode` then names).
    package static func keyID(of bytes: [UInt8]) -> String? {
        guard bytes.starts(with: ObjectHeader.magic),
              let header = try? ObjectHeader(parsing: Array(bytes.prefix(ObjectHeader.size)), object: "") else { return nil }
        return header.cipher == .none ? "" : hex(header.keyID)
    }

    /// Stores `text` sealed under `key` (nil: plain, in a repository without encryption), bound to `identity`, under a
    /// name no object has: `.alreadyExists` when another process stored one first (left as it is; metadata is never
    /// replaced, docs/format.md).
    package static func store(_ text: MetadataText, at objectKey: String, identity: ObjectIdentity,
                      under key: MasterKey?, in repository: Repository, compression: Compression = .none) throws -> CommitOutcome {
        let upload = try repository.storage.startUpload(objectKey)
        do {
            _ = try ObjectEncoder(options: ObjectOptions(compression: compression, key: key)).encode(from: MemorySource(text.bytes), to: upload, as: identity)
        } catch {
            upload.abort()
            throw error
        }
        return try upload.commit()
    }
}
