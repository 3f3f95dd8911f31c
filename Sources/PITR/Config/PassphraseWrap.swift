import PITRNative
import PITRPipeline
import PITRSupport

/// The offline wrapping of a key: AES-256-GCM under a key derived from a passphrase with scrypt,
/// the key id and the scrypt parameters as associated data (docs/format.md, "Key file").
///
///     version 1 | log2 N | r | p | salt (16) | nonce (12) | wrapped key (32) | tag (16)   = 80 bytes
enum PassphraseWrap {
    static let version: UInt8 = 1
    /// N = 2^17, r = 8, p = 1: 128 MiB and about half a second per derivation, scrypt's interactive-plus choice.
    static let logN: UInt8 = 17, r: UInt8 = 8, p: UInt8 = 1
    static let saltSize = 16
    static let headerSize = 4 + saltSize
    static let size = headerSize + AES256GCM.nonceSize + MasterKey.byteCount + AES256GCM.tagSize

    /// Wraps `key`, whose id is `keyID` (16 hex digits), under `passphrase`, with fresh salt and nonce.
    static func seal(_ key: MasterKey, keyID: String, passphrase: [UInt8]) throws -> [UInt8] {
        let header = [version, logN, r, p] + (try SecureRandom.bytes(saltSize))
        let nonce = try SecureRandom.bytes(AES256GCM.nonceSize)
        var data = key.bytes
        var tag = [UInt8](repeating: 0, count: AES256GCM.tagSize)
        let aad = associatedData(header: header, keyID: keyID)
        let cipher = try AES256GCM(key: try wrappingKey(header: header, passphrase: passphrase))
        try data.withUnsafeMutableBytes { data in
            try nonce.withUnsafeBytes { nonce in
                try aad.withUnsafeBytes { aad in
                    try tag.withUnsafeMutableBytes { try cipher.seal(data, nonce: nonce, aad: aad, tag: $0) }
                }
            }
        }
        return header + nonce + data + tag
    }

    /// Why a wrapping cannot be opened.
    enum Problem: Error, Equatable {
        /// Not 80 bytes, an unknown version, or scrypt parameters out of the range we accept.
        case malformed(String)
        /// The tag does not check: another passphrase, another key id, or changed bytes.
        case notAuthentic
    }

    /// The key wrapped in `blob` for `keyID`, or why not.
    static func open(_ blob: [UInt8], keyID: String, passphrase: [UInt8]) throws -> Result<MasterKey, Problem> {
        guard blob.count == size else { return .failure(.malformed("it is \(blob.count) bytes, not \(size)")) }
        guard blob[0] == version else { return .failure(.malformed("version \(blob[0]) is unknown")) }
        // At most 1 GiB of memory and about 8 s: a changed file must not make every process spin or swap.
        guard (10...20).contains(blob[1]), (1...16).contains(blob[2]), (1...4).contains(blob[3]),
              Int(blob[2]) << Int(blob[1]) <= 8 << 20 else {
            return .failure(.malformed("its scrypt parameters (log2 N \(blob[1]), r \(blob[2]), p \(blob[3])) are out of range"))
        }
        let header = Array(blob[..<headerSize])
        let nonce = Array(blob[headerSize..<headerSize + AES256GCM.nonceSize])
        var data = Array(blob[(headerSize + AES256GCM.nonceSize)..<(size - AES256GCM.tagSize)])
        let tag = Array(blob[(size - AES256GCM.tagSize)...])
        let aad = associatedData(header: header, keyID: keyID)
        let cipher = try AES256GCM(key: try wrappingKey(header: header, passphrase: passphrase))
        let authentic = try data.withUnsafeMutableBytes { data in
            try nonce.withUnsafeBytes { nonce in
                try aad.withUnsafeBytes { aad in
                    try tag.withUnsafeBytes { try cipher.open(data, nonce: nonce, aad: aad, tag: $0) }
                }
            }
        }
        guard authentic, let key = MasterKey(bytes: data) else { return .failure(.notAuthentic) }
        return .success(key)
    }

    private static func wrappingKey(header: [UInt8], passphrase: [UInt8]) throws -> [UInt8] {
        try Scrypt.derive(passphrase: passphrase, salt: Array(header[4...]), n: 1 << UInt64(header[1]),
                          r: UInt32(header[2]), p: UInt32(header[3]), length: AES256GCM.keySize)
    }

    private static func associatedData(header: [UInt8], keyID: String) -> [UInt8] {
        header + Array("tailtown-pitr wrapped key \(keyID)".utf8)
    }
}
