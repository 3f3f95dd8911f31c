import CInstructions

/// HMAC-SHA256 of two messages of the same length at once under one key, on the processor's SHA instructions (the
/// interleaved pair of `SHA256Pair`, through CInstructions). The key's inner and outer states are computed once, so a
/// message costs its own compressions and three more (its padding block and the outer hash's one), where libcrypto's
/// `EVP_MAC_init` hashes the key anew for each. The MACs are HMAC-SHA256's (RFC 2104), bit for bit: the tests compare
/// them with OpenSSL's. Only when `SHA256Pair.isAvailable`.
package struct HMACSHA256Pair {
    /// The inner state, then the outer one.
    private var states = [UInt32](repeating: 0, count: 16)

    package init(key: [UInt8]) throws {
        precondition(SHA256Pair.isAvailable)
        var block = key.count > 64 ? try SHA256Hasher.digest(key) : key
        block += repeatElement(0, count: 64 - block.count)
        block.withUnsafeBufferPointer { key in
            states.withUnsafeMutableBufferPointer { tailtown_hmac_sha256_key(key.baseAddress, $0.baseAddress) }
        }
    }

    /// Writes HMAC(`first`) and then HMAC(`second`) into `macs` (at least 64 bytes). Both messages hold the same
    /// number of bytes; they may be the same message.
    package func macs(of first: UnsafeRawBufferPointer, and second: UnsafeRawBufferPointer, into macs: UnsafeMutableRawBufferPointer) {
        precondition(first.count == second.count && macs.count >= 2 * HMACSHA256.digestSize)
        let output = macs.bindMemory(to: UInt8.self).baseAddress
        states.withUnsafeBufferPointer {
            tailtown_hmac_sha256_pair($0.baseAddress, first.baseAddress, second.baseAddress, first.count,
                                      output, output.map { $0 + HMACSHA256.digestSize })
        }
    }
}
