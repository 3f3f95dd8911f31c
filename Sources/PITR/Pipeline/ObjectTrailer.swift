/// Which digest of the original file a trailer holds (docs/format.md, "Original digest").
public enum DigestKind: UInt8, Sendable {
    /// "SHA-256 tree", for plain objects: anyone can recompute it.
    case sha256Tree = 1
    /// "HMAC-SHA256 over the SHA-256 tree", for encrypted objects: keyed, so the bucket
    /// does not let anyone confirm a guessed plaintext.
    case hmacSHA256Tree = 2
    /// Format 2's "SHA-256 tree" with the object's identity after the leaf digests.
    case sha256TreeWithIdentity = 3
    /// Format 2's "HMAC-SHA256 over the SHA-256 tree" with the object's identity after the leaf digests.
    case hmacSHA256TreeWithIdentity = 4

    /// The kind a plain (`keyed` false) or encrypted object of a format gets.
    static func of(keyed: Bool, identity: Bool) -> DigestKind {
        switch (keyed, identity) {
        case (false, false): .sha256Tree
        case (true, false): .hmacSHA256Tree
        case (false, true): .sha256TreeWithIdentity
        case (true, true): .hmacSHA256TreeWithIdentity
        }
    }

    public var bindsIdentity: Bool { self == .sha256TreeWithIdentity || self == .hmacSHA256TreeWithIdentity }
}

/// The 48 bytes that close every object: the original size and digest
/// (docs/format.md, "Object format"). A duplicate check reads only these.
public struct ObjectTrailer: Equatable, Sendable {
    public static let size = 48
    public static let magic: [UInt8] = Array("TTPE".utf8)

    public let originalSize: Int
    public let digestKind: DigestKind
    /// 32 bytes.
    public let digest: [UInt8]
    /// Format 2: the last piece of a backup archive (the flags byte's bit 0).
    public let lastPiece: Bool

    public init(originalSize: Int, digestKind: DigestKind, digest: [UInt8], lastPiece: Bool = false) {
        precondition(digest.count == 32 && originalSize >= 0)
        self.originalSize = originalSize
        self.digestKind = digestKind
        self.digest = digest
        self.lastPiece = lastPiece
    }

    /// This trailer with the last-piece flag set as given.
    func marking(lastPiece: Bool) -> ObjectTrailer {
        ObjectTrailer(originalSize: originalSize, digestKind: digestKind, digest: digest, lastPiece: lastPiece)
    }

    /// Parses the last 48 bytes of `object`. A missing end magic means the object was cut short.
    public init(parsing bytes: [UInt8], object: String) throws {
        guard bytes.count == ObjectTrailer.size, Array(bytes[44..<48]) == ObjectTrailer.magic else {
            throw ObjectFormatError.truncated(object: object)
        }
        let size = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard size <= UInt64(Int.max) else {
            throw ObjectFormatError.corruptTrailer(object: object, reason: "original size \(size) is impossible")
        }
        guard let kind = DigestKind(rawValue: bytes[8]) else {
            throw ObjectFormatError.corruptTrailer(object: object, reason: "unknown digest kind \(bytes[8])")
        }
        guard bytes[9] <= (kind.bindsIdentity ? 1 : 0), bytes[10..<12].allSatisfy({ $0 == 0 }) else {
            throw ObjectFormatError.corruptTrailer(object: object, reason: "reserved bytes are not zero")
        }
        self.init(originalSize: Int(size), digestKind: kind, digest: Array(bytes[12..<44]), lastPiece: bytes[9] == 1)
    }

    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(ObjectTrailer.size)
        let size = UInt64(originalSize)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: size >> UInt64(shift))) }
        bytes += [digestKind.rawValue, lastPiece ? 1 : 0, 0, 0]
        bytes += digest
        bytes += ObjectTrailer.magic
        return bytes
    }
}
