import Testing
@testable import PITRNative
@testable import PITRSupport

/// The paired HMAC must give HMAC-SHA256 bit for bit: compared with OpenSSL's (EVP_MAC, keyed anew each time) on
/// random keys shorter than, as long as and longer than SHA-256's 64-byte block, random messages of every length
/// around the block and padding boundaries and of a relation block's 8 KiB, two different messages at once (a mix-up
/// of the lanes would show), and one message in both lanes.
@Suite(.enabled(if: SHA256Pair.isAvailable, "this processor has no SHA instructions: block checksums are computed by libcrypto alone"))
struct HMACSHA256PairTests {
    @Test func randomKeysAndMessagesAgainstOpenSSL() throws {
        var random = SystemRandomNumberGenerator()
        let macs = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { macs.deallocate() }
        for keyLength in [0, 1, 16, 32, 55, 63, 64, 65, 68, 100, 200] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &random) }
            let pair = try HMACSHA256Pair(key: key)
            for count in Array(0...130) + [183, 184, 8191, 8192, 8193, 16384] {
                let first = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
                let second = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
                first.withUnsafeBytes { a in second.withUnsafeBytes { b in pair.macs(of: a, and: b, into: macs) } }
                let expected = try HMACSHA256.mac(key: key, first) + HMACSHA256.mac(key: key, second)
                #expect(Array(macs) == expected, "key of \(keyLength) bytes, messages of \(count)")
                first.withUnsafeBytes { pair.macs(of: $0, and: $0, into: macs) }
                #expect(Array(macs[..<32]) == Array(expected[..<32]) && Array(macs[32...]) == Array(expected[..<32]),
                        "one message in both lanes, key of \(keyLength) bytes, message of \(count)")
            }
        }
    }

    /// RFC 4231's test case 2 (a short key) and 6 (a key longer than the block).
    @Test func knownAnswers() throws {
        let macs = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { macs.deallocate() }
        let short = try HMACSHA256Pair(key: Array("Jefe".utf8))
        Array("what do ya want for nothing?".utf8).withUnsafeBytes { short.macs(of: $0, and: $0, into: macs) }
        #expect(Array(macs[..<32]) == bytes(hex: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
        let long = try HMACSHA256Pair(key: [UInt8](repeating: 0xaa, count: 131))
        Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8).withUnsafeBytes { long.macs(of: $0, and: $0, into: macs) }
        #expect(Array(macs[..<32]) == bytes(hex: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"))
    }
}
