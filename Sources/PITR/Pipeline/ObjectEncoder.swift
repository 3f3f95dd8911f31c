import PITRNative
import PITRSupport

/// Writes objects (docs/format.md, "Object format") in one pass over the source.
/// Reusable (one per process): owns the buffers (a few MiB) and the native contexts.
/// Not for use by two threads at once.
public final class ObjectEncoder {
    private let options: ObjectOptions
    private let compressor: PayloadCompressor
    private let digest: OriginalDigest
    private let reader = BlockReader()
    private let sealer: ChunkSealer?
    private let keyID: [UInt8]?
    private let chunkSizeLog2: UInt8

    public convenience init(options: ObjectOptions) throws {
        try self.init(options: options, chunkSizeLog2: ObjectHeader.defaultChunkSizeLog2)
    }

    /// Tests use smaller chunks to cover many-chunk objects cheaply.
    init(options: ObjectOptions, chunkSizeLog2: UInt8) throws {
        precondition(ObjectHeader.acceptedChunkSizeLog2.contains(chunkSizeLog2))
        self.options = options
        self.chunkSizeLog2 = chunkSizeLog2
        compressor = try options.compression.makeCompressor(level: options.level)
        digest = try OriginalDigest(key: options.key)
        if let key = options.key {
            sealer = try ChunkSealer(chunkSizeLog2: chunkSizeLog2)
            keyID = try key.derivedKeyID()
        } else {
            sealer = nil
            keyID = nil
        }
    }

    /// Reads `source` once to its end and writes header, payload and trailer to `sink`, bound to `identity`.
    /// `lastPiece`, asked once the source has ended, sets the trailer's flag (backup pieces; the identity's
    /// own flag is what a reader expects). Returns the trailer written. On a throw, `sink` holds an incomplete
    /// object. `source` is read on a second thread (never concurrently with anything else);
    /// `sink` is written on the calling thread.
    public func encode(from source: ByteSource, to sink: ByteSink, as identity: ObjectIdentity,
                       lastPiece: () throws -> Bool = { false }) throws -> ObjectTrailer {
        defer { sealer?.release() }
        let header: ObjectHeader
        let emit: Emit
        if let sealer, let key = options.key, let keyID {
            let salt = try SecureRandom.bytes(32)
            header = ObjectHeader(compression: options.compression, cipher: .aes256GCMStream,
                                  chunkSizeLog2: chunkSizeLog2, keyID: keyID, salt: salt)
            sealer.begin(objectKey: try key.objectKey(salt: salt), associatedData: header.bytes + identity.bytes, sink: sink)
            emit = { try sealer.append($0) }
        } else {
            header = .plain(options.compression)
            emit = { try sink.write($0) }
        }
        try header.bytes.withUnsafeBytes { try sink.write($0) }

        try digest.reset()
        try compressor.begin(into: emit)
        try reader.read(source, digest: digest) { block in
            try compressor.compress(block, into: emit)
        }
        try compressor.finish(into: emit)

        let trailer = try digest.finish(identity: identity).marking(lastPiece: try lastPiece())
        let trailerBytes = trailer.bytes
        if let sealer { try sealer.finish(trailer: trailerBytes) }
        try trailerBytes.withUnsafeBytes { try sink.write($0) }
        return trailer
    }
}
