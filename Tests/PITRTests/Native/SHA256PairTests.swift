import Testing
@testable import PITRNative
@testable import PITRSupport

/// The interleaved pair must give SHA-256 bit for bit: compared with OpenSSL's one-message
/// digests at every length around the block and padding boundaries, at odd addresses, and on
/// two different messages at once (a mix-up of the two lanes would show).
@Suite(.enabled(if: SHA256Pair.isAvailable, "the processor has no SHA instructions"))
struct SHA256PairTests {
    static let data = mixedData(count: (2 << 20) + 300, seed: 11)

    @Test func knownMessages() throws {
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

    @Test func everyLengthUpToSeveralBlocksAtOddAddresses() throws {
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

    @Test func leavesOfAMebibyteAndMore() throws {
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
