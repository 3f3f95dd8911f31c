/// The running digest of an original file that goes into its trailer: SHA-256 for plain
/// objects, HMAC-SHA256 under the digest key for encrypted ones (docs/format.md).
final class OriginalDigest {
    private enum Engine {
        case sha256(SHA256Hasher)
        case hmac(HMACSHA256)
    }

    private let engine: Engine
    private(set) var size = 0

    init(key: MasterKey?) throws {
        if let key {
            engine = .hmac(try HMACSHA256(key: key.digestKey()))
        } else {
            engine = .sha256(try SHA256Hasher())
        }
    }

    var kind: DigestKind {
        switch engine {
        case .sha256: .sha256
        case .hmac: .hmacSHA256
        }
    }

    func reset() throws {
        size = 0
        switch engine {
        case let .sha256(hasher): try hasher.reset()
        case let .hmac(mac): try mac.reset()
        }
    }

    func update(_ bytes: UnsafeRawBufferPointer) throws {
        size += bytes.count
        switch engine {
        case let .sha256(hasher): try hasher.update(bytes)
        case let .hmac(mac): try mac.update(bytes)
        }
    }

    /// The trailer for everything fed since the last `reset`.
    func finish() throws -> ObjectTrailer {
        let digest: [UInt8]
        switch engine {
        case let .sha256(hasher): digest = try hasher.finish()
        case let .hmac(mac): digest = try mac.finish()
        }
        return ObjectTrailer(originalSize: size, digestKind: kind, digest: digest)
    }
}
