import CCrypto

/// scrypt (RFC 7914) through libcrypto EVP_KDF "SCRYPT": a key from a passphrase that costs
/// N x r x 128 bytes of memory and comparable time to derive, so that guessing is slow.
public enum Scrypt {
    /// Derives `length` bytes from `passphrase` and `salt` with cost `n` (a power of two), block
    /// size `r` and parallelism `p`. Throws `NativeError` when libcrypto refuses the parameters.
    public static func derive(passphrase: [UInt8], salt: [UInt8], n: UInt64, r: UInt32, p: UInt32, length: Int) throws -> [UInt8] {
        let algorithm = try OpenSSL.fetched(EVP_KDF_fetch(nil, "SCRYPT", nil), "SCRYPT")
        defer { EVP_KDF_free(algorithm) }
        guard let context = EVP_KDF_CTX_new(algorithm) else { throw OpenSSL.error("EVP_KDF_CTX_new") }
        defer { EVP_KDF_CTX_free(context) }
        var passphrase = passphrase, salt = salt
        // OSSL_PARAM keeps pointers to the numbers, which must outlive the derive call.
        let wide = UnsafeMutablePointer<UInt64>.allocate(capacity: 2), narrow = UnsafeMutablePointer<UInt32>.allocate(capacity: 2)
        defer { wide.deallocate(); narrow.deallocate() }
        wide[0] = n
        // Room for the work area (128 x N x r) and the p blocks, with a margin; libcrypto's default is 1 GiB.
        wide[1] = 128 * n * UInt64(r) + 128 * UInt64(r) * UInt64(p) + (1 << 20)
        narrow[0] = r
        narrow[1] = p
        var output = [UInt8](repeating: 0, count: length)
        let result = passphrase.withUnsafeMutableBytes { passphrase in
            salt.withUnsafeMutableBytes { salt in
                var parameters = [
                    OSSL_PARAM_construct_octet_string(OpenSSL.name("pass"), passphrase.baseAddress, passphrase.count),
                    OSSL_PARAM_construct_octet_string(OpenSSL.name("salt"), salt.baseAddress, salt.count),
                    OSSL_PARAM_construct_uint64(OpenSSL.name("n"), wide),
                    OSSL_PARAM_construct_uint32(OpenSSL.name("r"), narrow),
                    OSSL_PARAM_construct_uint32(OpenSSL.name("p"), narrow + 1),
                    OSSL_PARAM_construct_uint64(OpenSSL.name("maxmem_bytes"), wide + 1),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_KDF_derive(context, &output, length, &parameters)
            }
        }
        try OpenSSL.check(result, "EVP_KDF_derive (scrypt)")
        return output
    }
}
