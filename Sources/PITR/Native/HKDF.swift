import CCrypto

/// HKDF-SHA256 (RFC 5869, extract then expand) through libcrypto EVP_KDF.
public enum HKDF {
    /// Derives `length` bytes from `key` material; an empty `salt` means the RFC's
    /// default (HashLen zero bytes), which HMAC treats the same as no salt.
    public static func sha256(key: [UInt8], salt: [UInt8], info: [UInt8], length: Int) throws -> [UInt8] {
        let algorithm = try OpenSSL.fetched(EVP_KDF_fetch(nil, "HKDF", nil), "HKDF")
        defer { EVP_KDF_free(algorithm) }
        guard let context = EVP_KDF_CTX_new(algorithm) else { throw OpenSSL.error("EVP_KDF_CTX_new") }
        defer { EVP_KDF_CTX_free(context) }
        var key = key, salt = salt, info = info
        var output = [UInt8](repeating: 0, count: length)
        let result = key.withUnsafeMutableBytes { key in
            salt.withUnsafeMutableBytes { salt in
                info.withUnsafeMutableBytes { info in
                    var parameters = [OSSL_PARAM_construct_utf8_string(OpenSSL.name("digest"), OpenSSL.name("SHA256"), 0),
                                      OSSL_PARAM_construct_octet_string(OpenSSL.name("key"), key.baseAddress, key.count)]
                    if salt.count > 0 {
                        parameters.append(OSSL_PARAM_construct_octet_string(OpenSSL.name("salt"), salt.baseAddress, salt.count))
                    }
                    if info.count > 0 {
                        parameters.append(OSSL_PARAM_construct_octet_string(OpenSSL.name("info"), info.baseAddress, info.count))
                    }
                    parameters.append(OSSL_PARAM_construct_end())
                    return EVP_KDF_derive(context, &output, length, &parameters)
                }
            }
        }
        try OpenSSL.check(result, "EVP_KDF_derive (HKDF-SHA256)")
        return output
    }
}
