import Testing
@testable import PITRBackup
@testable import PITRNative
@testable import PITRPipeline

/// Block checksums keep their bytes whatever computes them: repositories' stored checksums stay valid only if they do.
/// The path this processor takes (two blocks at once on the SHA instructions, or libcrypto) is compared with
/// OpenSSL's one-shot HMAC on random blocks and keys, one block at a time and in pairs, and one checksum is pinned
/// to the value Python's hmac and hashlib give for docs/format.md's definition.
@Suite struct BlockChecksumTests {
    static let block = IncrementalFileHeader.blockSize

    @Test func randomBlocksAndKeysAgainstOpenSSL() throws {
        var random = SystemRandomNumberGenerator()
        let first = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockChecksum.size, alignment: 8)
        let second = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockChecksum.size, alignment: 8)
        defer {
            first.deallocate()
            second.deallocate()
        }
        for round in 0..<8 {
            let master = try #require(MasterKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }))
            let repositoryID = String(UInt64.random(in: 0...UInt64.max, using: &random), radix: 16) + "-\(round)"
            for (checksum, key) in [(try BlockChecksum(key: master, repositoryID: repositoryID), try master.blockChecksumKey()),
                                    (try BlockChecksum(key: nil, repositoryID: repositoryID),
                                     Array("tailtown-pitr v1 block checksum key \(repositoryID)".utf8))] {
                let a = (0..<Self.block).map { _ in UInt8.random(in: 0...255, using: &random) }
                var b = a
                b[Int.random(in: 0..<Self.block, using: &random)] ^= 1
                let expectedA = Array(try HMACSHA256.mac(key: key, a).prefix(BlockChecksum.size))
                let expectedB = Array(try HMACSHA256.mac(key: key, b).prefix(BlockChecksum.size))
                #expect(try a.withUnsafeBytes { try checksum.checksum($0) } == expectedA)
                try a.withUnsafeBytes { a in try b.withUnsafeBytes { try checksum.checksums(a, $0, into: first, second) } }
                #expect(Array(first) == expectedA && Array(second) == expectedB, "a pair of blocks, round \(round)")
                #expect(expectedA != expectedB)
            }
        }
    }

    /// HMAC-SHA256 under HKDF-SHA256(master key 00 01 ... 1f, no salt, "tailtown-pitr v1 block checksum key"), of the
    /// block whose byte i is (7i + 3) mod 256, first 16 bytes; and under the plain repository's key, for repository id
    /// "0123456789abcdef0123456789abcdef" (a 68-byte key, longer than SHA-256's block). Computed with Python's hmac.
    @Test func pinnedValues() throws {
        let block = (0..<Self.block).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        let keyed = try BlockChecksum(key: MasterKey(bytes: (0..<32).map { UInt8($0) }), repositoryID: "ignored")
        #expect(try block.withUnsafeBytes { try keyed.checksum($0) } == bytes(hex: "434aeb6b29e4e44ab7879280d9863104"))
        let plain = try BlockChecksum(key: nil, repositoryID: "0123456789abcdef0123456789abcdef")
        #expect(try block.withUnsafeBytes { try plain.checksum($0) } == bytes(hex: "4fc27e6aa63bc630fe74fd0ab32005e4"))
    }
}
