import PITRNative
import PITRSupport

/// The keys derived from the master key with HKDF-SHA256 (docs/format.md, "Object format").
public extension MasterKey {
    /// Names the key in object headers without revealing it: the first 8 bytes of
    /// HKDF(master, salt: empty, info: "tailtown-pitr v1 key id").
    var keyID: [UInt8] {
        // HKDF only fails when libcrypto itself is broken; a zero id then makes every
        // decode stop with `wrongKey` rather than read with the wrong key.
        (try? derivedKeyID()) ?? [UInt8](repeating: 0, count: 8)
    }

    /// `keyID` as 16 lowercase hex characters, for messages and the CLI.
    var keyIDHex: String { hex(keyID) }

    /// Throwing form of `keyID`.
    internal func derivedKeyID() throws -> [UInt8] {
        try HKDF.sha256(key: bytes, salt: [], info: Array("tailtown-pitr v1 key id".utf8), length: 8)
    }

    /// Keys the HMAC-SHA256 digest in the trailer of encrypted objects.
    internal func digestKey() throws -> [UInt8] {
        try HKDF.sha256(key: bytes, salt: [], info: Array("tailtown-pitr v1 digest key".utf8), length: 32)
    }

    /// The AES-256-GCM key of the object whose header carries `salt`.
    internal func objectKey(salt: [UInt8]) throws -> [UInt8] {
        try HKDF.sha256(key: bytes, salt: salt, info: Array("tailtown-pitr v1 object key".utf8), length: 32)
    }
}

package extension MasterKey {
    /// Keys the per-block checksums that block-compare incrementals compare with (docs/format.md, "Block checksums").
    func blockChecksumKey() throws -> [UInt8] {
        try HKDF.sha256(key: bytes, salt: [], info: Array("tailtown-pitr v1 block checksum key".utf8), length: 32)
    }
}
