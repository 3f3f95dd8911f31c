import CCrypto

/// Streaming SHA-256 (libcrypto EVP) with a reused context.
public final class SHA256Hasher {
    public static let digestSize = 32
    private let algorithm: OpaquePointer
    private let context: OpaquePointer

    public init() throws {
        algorithm = try OpenSSL.fetched(EVP_MD_fetch(nil, "SHA256", nil), "SHA256")
        guard let context = EVP_MD_CTX_new() else {
            EVP_MD_free(algorithm)
            throw OpenSSL.error("EVP_MD_CTX_new")
        }
        self.context = context
        try reset()
    }

    deinit {
        EVP_MD_CTX_free(context)
        EVP_MD_free(algorithm)
    }

    /// Starts a new digest.
    public func reset() throws {
        try OpenSSL.check(EVP_DigestInit_ex2(context, algorithm, nil), "EVP_DigestInit_ex2")
    }

    public func update(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        try OpenSSL.check(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count), "EVP_DigestUpdate")
    }

    /// Returns the 32-byte digest; call `reset` before reusing.
    public func finish() throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: SHA256Hasher.digestSize)
        var length: UInt32 = 0
        try OpenSSL.check(EVP_DigestFinal_ex(context, &digest, &length), "EVP_DigestFinal_ex")
        return digest
    }

    /// SHA-256 of `bytes` in one call.
    public static func digest(_ bytes: [UInt8]) throws -> [UInt8] {
        let hasher = try SHA256Hasher()
        try bytes.withUnsafeBytes { try hasher.update($0) }
        return try hasher.finish()
    }
}
