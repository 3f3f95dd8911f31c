/// Which digest of the original file a trailer holds.
public enum DigestKind: UInt8, Sendable {
    /// Plain objects: anyone can recompute it.
    case sha256 = 1
    /// Encrypted objects: keyed, so the bucket does not let anyone confirm a guessed plaintext.
    case hmacSHA256 = 2
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

    public init(originalSize: Int, digestKind: DigestKind, digest: [UInt8]) {
        precondition(digest.count == 32 && originalSize >= 0)
        self.originalSize = originalSize
        self.digestKind = digestKind
        self.digest = digest
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
        guard bytes[9..<12].allSatisfy({ $0 == 0 }) else {
            throw ObjectFormatError.corruptTrailer(object: object, reason: "reserved bytes are not zero")
        }
        self.init(originalSize: Int(size), digestKind: kind, digest: Array(bytes[12..<44]))
    }

    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(ObjectTrailer.size)
        let size = UInt64(originalSize)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: size >> UInt64(shift))) }
        bytes += [digestKind.rawValue, 0, 0, 0]
        bytes += digest
        bytes += ObjectTrailer.magic
        return bytes
    }
}
