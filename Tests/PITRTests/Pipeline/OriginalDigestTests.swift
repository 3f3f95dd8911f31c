import Foundation
import Testing
@testable import PITRNative
@testable import PITRPipeline
@testable import PITRRetention
@testable import PITRSupport

/// The original-file digest is a tree (docs/format.md, "Original digest"): streaming it in
/// pieces of any size, hashing it on two threads, and Python's hashlib/hmac following the
/// documented definition must all agree.
@Suite struct OriginalDigestTests {
    static let key = MasterKey(bytes: Array(100..<132))!
    static let mib = 1 << 20
    static let data = mixedData(count: 16 * mib + 3, seed: 7)
    static let sizes = [0, 1, mib - 1, mib, mib + 1, 2 * mib - 1, 2 * mib, 16 * mib, 16 * mib + 3]

    @Test(arguments: sizes)
    func streamingInRandomPiecesEqualsParallel(size: Int) throws {
        var random = SplitMix(seed: UInt64(size) &+ 1)
        for key in [nil, Self.key] {
            let streamed = try OriginalDigest(key: key)
            // Twice through the same instance: `reset` must forget everything.
            for _ in 0..<2 {
                try streamed.reset()
                try Self.data.withUnsafeBytes { all in
                    var offset = 0
                    while offset < size {
                        // Mostly small or zero pieces, sometimes pieces of several leaves.
                        let limit = random.next() % 4 == 0 ? 3 * Self.mib : 5000
                        let piece = min(Int(random.next() % UInt64(limit + 1)), size - offset)
                        try streamed.update(UnsafeRawBufferPointer(rebasing: all[offset..<offset + piece]))
                        offset += piece
                    }
                }
                let streamedTrailer = try streamed.finish(identity: nil)
                let parallel = try Self.data.withUnsafeBytes {
                    try FileDigest.compute(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<size]), key: key, identity: nil)
                }
                #expect(streamedTrailer == parallel, "size \(size) keyed \(key != nil)")
                #expect(parallel == (try referenceTrailer(Array(Self.data[0..<size]), key: key)))
                #expect(parallel.originalSize == size)
                #expect(parallel.digestKind == (key == nil ? .sha256Tree : .hmacSHA256Tree))
            }
        }
    }

    @Test func fileDigestOfAMappedFileEqualsBytes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = 5 * Self.mib + 17
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Self.data[0..<size])))
        let file = try SystemFile.openForReading(path)
        let fromFile = try FileDigest.compute(file: file, key: Self.key, identity: nil)
        let fromBytes = try Self.data.withUnsafeBytes {
            try FileDigest.compute(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<size]), key: Self.key, identity: nil)
        }
        #expect(fromFile == fromBytes)
    }

    /// The two threads take parts in turn: every byte is reported hashed exactly once, whichever thread took it.
    @Test func everyPartIsHashedOnceByWhicheverThreadTookIt() throws {
        let size = 16 * Self.mib + 3
        let expected = try referenceTrailer(Array(Self.data[0..<size]), key: Self.key)
        let lock = ConditionLock()
        var reported: [Range<Int>] = []
        try Self.data.withUnsafeBytes { all in
            let bytes = UnsafeRawBufferPointer(rebasing: all[0..<size])
            let base = try #require(bytes.baseAddress)
            for _ in 0..<10 {
                lock.locked { reported = [] }
                let trailer = try FileDigest.compute(bytes: bytes, key: Self.key, identity: nil) { part in
                    guard let start = part.baseAddress.map({ $0 - base }) else { return }
                    lock.locked { reported.append(start..<start + part.count) }
                }
                #expect(trailer == expected)
                let ranges = lock.locked { reported.sorted { $0.lowerBound < $1.lowerBound } }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == size)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(ranges)")
            }
        }
    }

    @Test func documentedExampleOfAOneLeafFile() throws {
        let trailer = try Array("abc".utf8).withUnsafeBytes { try FileDigest.compute(bytes: $0, key: nil, identity: nil) }
        // docs/format.md, "Original digest": SHA-256(00 00 00 00 00 00 00 03 || SHA-256("abc")).
        #expect(trailer.digest == bytes(hex: "e13dee54bfc1b26042c1fec4b1d8ef2054b22fa1ab1263adce665eb013f829d5"))
        #expect(trailer.digestKind == .sha256Tree && trailer.originalSize == 3)
    }

    @Test func differentContentSizeOrKeyGiveDifferentDigests() throws {
        func trailer(_ bytes: ArraySlice<UInt8>, _ key: MasterKey?) throws -> ObjectTrailer {
            try Array(bytes).withUnsafeBytes { try FileDigest.compute(bytes: $0, key: key, identity: nil) }
        }
        let base = Self.data[0..<(3 * Self.mib)]
        var flipped = Array(base)
        flipped[2 * Self.mib + 5] ^= 1
        #expect(try trailer(base, nil).digest != trailer(flipped[...], nil).digest)
        #expect(try trailer(base, Self.key).digest != trailer(flipped[...], Self.key).digest)
        #expect(try trailer(base, nil).digest != trailer(base, Self.key).digest)
        let otherKey = MasterKey(bytes: Array(0..<32))!
        #expect(try trailer(base, Self.key).digest != trailer(base, otherKey).digest)
        // Same leaves, different size prefix: an empty file versus nothing at all is covered
        // by the prefix too, so zero bytes do not hash like the empty string.
        #expect(try trailer([], nil).digest != SHA256Hasher.digest([]))
    }

    /// Python computes the documented definition from scratch (HKDF for the digest key,
    /// SHA-256 leaves, size-prefixed root), so the docs and the code cannot drift apart.
    @Test(arguments: [0, 1, mib, mib + 1, 16 * mib + 3])
    func knownAnswerFromPython(size: Int) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digest-kat-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Self.data[0..<size])))
        let script = """
        import hashlib, hmac, sys
        data = open(sys.argv[1], 'rb').read()
        master = bytes.fromhex(sys.argv[2])
        prk = hmac.new(b'\\0' * 32, master, hashlib.sha256).digest()
        digest_key = hmac.new(prk, b'tailtown-pitr v1 digest key' + b'\\x01', hashlib.sha256).digest()
        leaves = b''.join(hashlib.sha256(data[i:i + (1 << 20)]).digest() for i in range(0, len(data), 1 << 20))
        message = len(data).to_bytes(8, 'big') + leaves
        print(hashlib.sha256(message).hexdigest())
        print(hmac.new(digest_key, message, hashlib.sha256).hexdigest())
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path, hex(Self.key.bytes)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = text.split(separator: "\n").map(String.init)
        try #require(lines.count == 2)

        let plain = try Self.data.withUnsafeBytes {
            try FileDigest.compute(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<size]), key: nil, identity: nil)
        }
        let keyed = try Self.data.withUnsafeBytes {
            try FileDigest.compute(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<size]), key: Self.key, identity: nil)
        }
        #expect(hex(plain.digest) == lines[0])
        #expect(hex(keyed.digest) == lines[1])
    }
}

/// The tree digest written out the plain way, leaf by leaf, for tests that check a trailer.
/// docs/format.md's definition, written out: format 1 without `identity`, format 2 with it after the leaf digests.
func referenceTrailer(_ bytes: [UInt8], key: MasterKey?, identity: ObjectIdentity? = nil) throws -> ObjectTrailer {
    var message = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bytes.count) >> UInt64(56 - 8 * $0)) }
    for start in stride(from: 0, to: bytes.count, by: 1 << 20) {
        message += try SHA256Hasher.digest(Array(bytes[start..<min(start + (1 << 20), bytes.count)]))
    }
    message += identity?.bytes ?? []
    if let key {
        return ObjectTrailer(originalSize: bytes.count, digestKind: identity == nil ? .hmacSHA256Tree : .hmacSHA256TreeWithIdentity,
                             digest: try HMACSHA256.mac(key: key.digestKey(), message))
    }
    return ObjectTrailer(originalSize: bytes.count, digestKind: identity == nil ? .sha256Tree : .sha256TreeWithIdentity,
                         digest: try SHA256Hasher.digest(message))
}

/// A small seeded generator, so a failing piece pattern can be reproduced.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
