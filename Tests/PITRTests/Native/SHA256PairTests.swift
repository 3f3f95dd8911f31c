import Foundation
import Testing
@testable import PITRNative
@testable import PITRSupport
@testable import PITRPipeline

/// The interleaved pair must give SHA-256 bit for bit: compared with OpenSSL's one-message
/// digests at every length around the block and padding boundaries, at odd addresses, and on
/// two different messages at once (a mix-up of the two lanes would show). The pair runs only on
/// a processor with the SHA instructions; on every processor, the leaves are hashed as that one
/// hashes them (in pairs, or one at a time through OpenSSL) and compared with OpenSSL's digests,
/// and the output says which path ran.
@Suite struct SHA256PairTests {
    static let data = mixedData(count: (2 << 20) + 300, seed: 11)
    static let withoutPair = "this processor has no SHA instructions: leaves are hashed one at a time (leafDigestsOnThisProcessor)"

    /// The path this processor takes, checked against the kernel's CPU flags (a detection that failed would
    /// otherwise turn the pair tests off unseen), and the leaves it hashes compared with OpenSSL's digests:
    /// whole pairs and a lone tail with the instructions, every leaf alone without them.
    @Test func leafDigestsOnThisProcessor() throws {
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ").map(String.init)) } ?? []
        #if arch(x86_64)
        let kernelSays = flags.isSuperset(of: ["sha_ni", "ssse3", "sse4_1"])
        #else
        let kernelSays = false
        #endif
        #expect(SHA256Pair.isAvailable == kernelSays, "cpuid and /proc/cpuinfo disagree about the SHA instructions")
        print("SHA256PairTests: " + (SHA256Pair.isAvailable ? "leaves hashed in pairs with the SHA instructions" : Self.withoutPair))

        let leaf = OriginalDigest.leafSize
        try Self.data.withUnsafeBytes { all in
            for (start, count) in [(0, all.count), (7, 2 * leaf), (3, leaf + 1), (0, leaf), (5, 300)] {
                let bytes = UnsafeRawBufferPointer(rebasing: all[start..<start + count])
                let leaves = try OriginalDigest.hashLeaves(of: bytes)
                let expected = try stride(from: 0, to: count, by: leaf).flatMap {
                    try digest(UnsafeRawBufferPointer(rebasing: bytes[$0..<min($0 + leaf, count)]))
                }
                #expect(leaves == expected, "\(count) bytes at \(start)")
            }
        }
    }

    @Test(.enabled(if: SHA256Pair.isAvailable, "\(withoutPair)"))
    func knownMessages() throws {
        var digests: [UInt8] = []
        Array("abc".utf8).withUnsafeBytes { abc in
            Array("xyz".utf8).withUnsafeBytes { SHA256Pair.append(digestsOf: abc, and: $0, to: &digests) }
        }
        #expect(Array(digests[0..<32]) == bytes(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        let xyz = try SHA256Hasher.digest(Array("xyz".utf8))
        #expect(Array(digests[32...]) == xyz)
        digests = []
        SHA256Pair.append(digestsOf: UnsafeRawBufferPointer(start: nil, count: 0), and: UnsafeRawBufferPointer(start: nil, count: 0), to: &digests)
        let empty = bytes(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digests == empty + empty)
    }

    @Test(.enabled(if: SHA256Pair.isAvailable, "\(withoutPair)"))
    func everyLengthUpToSeveralBlocksAtOddAddresses() throws {
        try Self.data.withUnsafeBytes { all in
            for count in 0...300 {
                for (first, second) in [(0, 1000), (3, 2001), (61, 4003)] {
                    let a = UnsafeRawBufferPointer(rebasing: all[first..<first + count])
                    let b = UnsafeRawBufferPointer(rebasing: all[second..<second + count])
                    var digests: [UInt8] = [9]
                    SHA256Pair.append(digestsOf: a, and: b, to: &digests)
                    let expected = try [9] + digest(a) + digest(b)
                    #expect(digests == expected, "\(count) bytes at \(first) and \(second)")
                }
            }
        }
    }

    @Test(.enabled(if: SHA256Pair.isAvailable, "\(withoutPair)"))
    func leavesOfAMebibyteAndMore() throws {
        try Self.data.withUnsafeBytes { all in
            for count in [1 << 20, (1 << 20) + 55, (1 << 20) + 64] {
                let a = UnsafeRawBufferPointer(rebasing: all[0..<count])
                let b = UnsafeRawBufferPointer(rebasing: all[(1 << 20) + 7..<(1 << 20) + 7 + count])
                var digests: [UInt8] = []
                SHA256Pair.append(digestsOf: a, and: b, to: &digests)
                let expected = try digest(a) + digest(b)
                #expect(digests == expected, "\(count) bytes")
            }
        }
    }

    private func digest(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        let hasher = try SHA256Hasher()
        try hasher.update(bytes)
        return try hasher.finish()
    }
}
