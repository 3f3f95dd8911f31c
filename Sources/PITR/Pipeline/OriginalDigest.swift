import PITRNative

/// The digest of an original file that goes into its trailer: a two-level tree
/// (docs/format.md, "Original digest"). Leaves are the file cut at every `leafSize` bytes,
/// each hashed with SHA-256; the root is SHA-256 (plain objects) or HMAC-SHA256 under the
/// digest key (encrypted ones) over the 8-byte big-endian size followed by the leaf digests.
/// The leaves can be hashed on several threads (`FileDigest`); `update` streams the same
/// definition, cutting leaves by byte offset whatever the size of the pieces it is fed.
/// Two whole leaves at hand are hashed as a pair (`SHA256Pair`) where the processor allows.
/// Not for use by two threads at once.
final class OriginalDigest {
    /// Leaf boundaries fall at every multiple of this offset in the original file.
    static let leafSize = 1 << 20

    private enum Root {
        case sha256(SHA256Hasher)
        case hmac(HMACSHA256)
    }

    private let root: Root
    private let leafHasher: SHA256Hasher
    /// Digests of the completed leaves, in order, 32 bytes each.
    private var leaves: [UInt8] = []
    /// Bytes of the current, incomplete leaf fed to `leafHasher`.
    private var leafFill = 0
    private(set) var size = 0

    init(key: MasterKey?) throws {
        if let key {
            root = .hmac(try HMACSHA256(key: key.digestKey()))
        } else {
            root = .sha256(try SHA256Hasher())
        }
        leafHasher = try SHA256Hasher()
    }

    private var keyed: Bool {
        if case .hmac = root { return true }
        return false
    }

    func reset() throws {
        size = 0
        leafFill = 0
        leaves.removeAll(keepingCapacity: true)
        try leafHasher.reset()
    }

    func update(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            if leafFill == 0, SHA256Pair.isAvailable, bytes.count - offset >= 2 * OriginalDigest.leafSize {
                OriginalDigest.appendPair(at: offset, of: bytes, to: &leaves)
                offset += 2 * OriginalDigest.leafSize
                continue
            }
            let take = min(bytes.count - offset, OriginalDigest.leafSize - leafFill)
            try leafHasher.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
            offset += take
            leafFill += take
            if leafFill == OriginalDigest.leafSize {
                leaves += try leafHasher.finish()
                try leafHasher.reset()
                leafFill = 0
            }
        }
        size += bytes.count
    }

    /// The trailer for everything fed since the last `reset`; `identity` (format 2) follows the leaf digests.
    func finish(identity: ObjectIdentity?) throws -> ObjectTrailer {
        var all = leaves
        if leafFill > 0 {
            all += try leafHasher.finish()
            try leafHasher.reset()
            leafFill = 0
        }
        return try trailer(size: size, leafDigests: all, identity: identity)
    }

    /// The trailer of a file of `size` bytes whose leaf digests, in order, are `leafDigests`
    /// (from `hashLeaves`), bound to `identity` when given. Leaves nothing fed through `update` changed.
    func trailer(size: Int, leafDigests: [UInt8], identity: ObjectIdentity?) throws -> ObjectTrailer {
        precondition(leafDigests.count == OriginalDigest.leafCount(size) * SHA256Hasher.digestSize)
        var prefix = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { prefix[index] = UInt8(truncatingIfNeeded: UInt64(size) >> UInt64(56 - 8 * index)) }
        let digest: [UInt8]
        switch root {
        case let .sha256(hasher):
            try hasher.reset()
            try prefix.withUnsafeBytes { try hasher.update($0) }
            try leafDigests.withUnsafeBytes { try hasher.update($0) }
            if let identity { try identity.bytes.withUnsafeBytes { try hasher.update($0) } }
            digest = try hasher.finish()
        case let .hmac(mac):
            try mac.reset()
            try prefix.withUnsafeBytes { try mac.update($0) }
            try leafDigests.withUnsafeBytes { try mac.update($0) }
            if let identity { try identity.bytes.withUnsafeBytes { try mac.update($0) } }
            digest = try mac.finish()
        }
        return ObjectTrailer(originalSize: size, digestKind: .of(keyed: keyed, identity: identity != nil), digest: digest,
                             lastPiece: identity?.lastPiece ?? false)
    }

    /// The SHA-256 of each leaf of `bytes`, concatenated, cutting at every `leafSize` bytes
    /// from its start: `bytes` must begin at a leaf boundary of the file, and only the part
    /// ending the file may end with a short leaf. A leaf that is not hashed as one of a pair goes through
    /// libcrypto, whose hasher lives only while this runs.
    /// `hashed` is told each leaf, or pair of leaves, once it is hashed (a mapped file releases
    /// its pages there).
    static func hashLeaves(of bytes: UnsafeRawBufferPointer, hashed: (UnsafeRawBufferPointer) -> Void = { _ in }) throws -> [UInt8] {
        var digests = [UInt8]()
        digests.reserveCapacity(leafCount(bytes.count) * SHA256Hasher.digestSize)
        var hasher: SHA256Hasher?
        var offset = 0
        while offset < bytes.count {
            if SHA256Pair.isAvailable, bytes.count - offset >= 2 * leafSize {
                appendPair(at: offset, of: bytes, to: &digests)
                hashed(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 2 * leafSize]))
                offset += 2 * leafSize
                continue
            }
            let end = min(offset + leafSize, bytes.count)
            let leafHasher = try hasher ?? SHA256Hasher()
            hasher = leafHasher
            try leafHasher.reset()
            try leafHasher.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            digests += try leafHasher.finish()
            hashed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
        }
        return digests
    }

    /// Appends the digests of the two whole leaves of `bytes` that start at `offset`.
    private static func appendPair(at offset: Int, of bytes: UnsafeRawBufferPointer, to digests: inout [UInt8]) {
        SHA256Pair.append(digestsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + leafSize]),
                          and: UnsafeRawBufferPointer(rebasing: bytes[offset + leafSize..<offset + 2 * leafSize]),
                          to: &digests)
    }

    /// Leaves in a file of `size` bytes; an empty file has none.
    static func leafCount(_ size: Int) -> Int {
        (size + leafSize - 1) / leafSize
    }
}
