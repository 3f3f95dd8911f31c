/// How an object's payload is encrypted, as recorded in its header.
public enum ObjectCipher: UInt8, Sendable {
    case none = 0
    /// AES-256-GCM over fixed-size chunks (docs/format.md).
    case aes256GCMStream = 1
}

/// The 48 bytes that open every object (docs/format.md, "Object format").
public struct ObjectHeader: Equatable, Sendable {
    public static let size = 48
    public static let magic: [UInt8] = Array("TTPR".utf8)
    /// The format written: 2 binds each object to its `ObjectIdentity`. Format 1 objects stay readable.
    public static let version: UInt8 = 2
    public static let readableVersions: ClosedRange<UInt8> = 1...2
    /// The chunk size encrypted objects are written with: 1 MiB.
    public static let defaultChunkSizeLog2: UInt8 = 20
    /// Chunk sizes a reader accepts (64 KiB ... 1 MiB), which bounds its memory.
    public static let acceptedChunkSizeLog2: ClosedRange<UInt8> = 16...20

    public var version: UInt8
    public var compression: Compression
    public var cipher: ObjectCipher
    /// 0 for plain objects, which are not chunked.
    public var chunkSizeLog2: UInt8
    /// 8 bytes; zeros for plain objects.
    public var keyID: [UInt8]
    /// 32 bytes; zeros for plain objects.
    public var salt: [UInt8]

    public init(version: UInt8 = ObjectHeader.version, compression: Compression, cipher: ObjectCipher, chunkSizeLog2: UInt8,
                keyID: [UInt8], salt: [UInt8]) {
        precondition(keyID.count == 8 && salt.count == 32)
        self.version = version
        self.compression = compression
        self.cipher = cipher
        self.chunkSizeLog2 = chunkSizeLog2
        self.keyID = keyID
        self.salt = salt
    }

    /// A plain object's header.
    public static func plain(_ compression: Compression) -> ObjectHeader {
        ObjectHeader(compression: compression, cipher: .none, chunkSizeLog2: 0,
                     keyID: [UInt8](repeating: 0, count: 8), salt: [UInt8](repeating: 0, count: 32))
    }

    public var chunkSize: Int { 1 << Int(chunkSizeLog2) }

    /// Whether the object is bound to an `ObjectIdentity` (format 2 and later).
    public var bindsIdentity: Bool { version >= 2 }

    /// Parses and checks the first 48 bytes of `object`.
    public init(parsing bytes: [UInt8], object: String) throws {
        guard bytes.count >= ObjectHeader.size, Array(bytes[0..<4]) == ObjectHeader.magic else {
            throw ObjectFormatError.notAnObject(object: object)
        }
        guard ObjectHeader.readableVersions.contains(bytes[4]) else {
            throw ObjectFormatError.unsupportedVersion(object: object, version: bytes[4])
        }
        guard let compression = Compression(code: bytes[5]) else {
            throw ObjectFormatError.unknownCompression(object: object, code: bytes[5])
        }
        guard let cipher = ObjectCipher(rawValue: bytes[6]) else {
            throw ObjectFormatError.unknownCipher(object: object, code: bytes[6])
        }
        let keyID = Array(bytes[8..<16]), salt = Array(bytes[16..<48])
        switch cipher {
        case .none:
            // Nothing authenticates a plain header, so every unused byte must be as written.
            guard bytes[7] == 0, keyID.allSatisfy({ $0 == 0 }), salt.allSatisfy({ $0 == 0 }) else {
                throw ObjectFormatError.corruptHeader(object: object, reason: "a plain object has a chunk size, key id or salt")
            }
        case .aes256GCMStream:
            guard ObjectHeader.acceptedChunkSizeLog2.contains(bytes[7]) else {
                throw ObjectFormatError.unsupportedChunkSize(object: object, log2: bytes[7])
            }
        }
        self.init(version: bytes[4], compression: compression, cipher: cipher, chunkSizeLog2: bytes[7], keyID: keyID, salt: salt)
    }

    public var bytes: [UInt8] {
        var bytes = ObjectHeader.magic
        bytes.reserveCapacity(ObjectHeader.size)
        bytes += [version, compression.code, cipher.rawValue, chunkSizeLog2]
        bytes += keyID
        bytes += salt
        return bytes
    }
}
