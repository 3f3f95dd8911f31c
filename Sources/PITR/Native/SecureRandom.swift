import CCrypto

/// Cryptographically strong random bytes from libcrypto's RAND_bytes.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try OpenSSL.check(RAND_bytes(&bytes, Int32(count)), "RAND_bytes")
        return bytes
    }
}
