import CCrypto

/// Streaming HMAC-SHA256 (libcrypto EVP_MAC) under one key, with a reused context.
public final class HMACSHA256 {
    public static let digestSize = 32
    private let algorithm: OpaquePointer
    private let context: OpaquePointer
    private let key: [UInt8]

    public init(key: [UInt8]) throws {
        algorithm = try OpenSSL.fetched(EVP_MAC_fetch(nil, "HMAC", nil), "HMAC")
        guard let context = EVP_MAC_CTX_new(algorithm) else {
            EVP_MAC_free(algorithm)
            throw OpenSSL.error("EVP_MAC_CTX_new")
        }
        self.context = context
        self.key = key
        try reset()
    }

    deinit {
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(algorithm)
    }

    /// Starts a new MAC under the same key.
    public func reset() throws {
        var parameters = [
            OSSL_PARAM_construct_utf8_string(OpenSSL.name("digest"), OpenSSL.name("SHA256"), 0),
            OSSL_PARAM_construct_end(),
        ]
        let result = key.withUnsafeBufferPointer { key in
            // An empty key still needs a non-null pointer.
            withUnsafePointer(to: UInt8(0)) { empty in
                EVP_MAC_init(context, key.baseAddress ?? empty, key.count, &parameters)
            }
        }
        try OpenSSL.check(result, "EVP_MAC_init")
    }

    public func update(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        try OpenSSL.check(EVP_MAC_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count), "EVP_MAC_update")
    }

    /// Returns the 32-byte MAC; call `reset` before reusing.
    public func finish() throws -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: HMACSHA256.digestSize)
        var length = 0
        try OpenSSL.check(EVP_MAC_final(context, &mac, &length, mac.count), "EVP_MAC_final")
        return mac
    }

    /// HMAC-SHA256 of `bytes` under `key` in one call.
    public static func mac(key: [UInt8], _ bytes: [UInt8]) throws -> [UInt8] {
        let hmac = try HMACSHA256(key: key)
        try bytes.withUnsafeBytes { try hmac.update($0) }
        return try hmac.finish()
    }
}
