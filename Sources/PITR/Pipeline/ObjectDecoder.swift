import PITRNative
import PITRSupport

/// Reads objects (docs/format.md, "Object format") back into the original bytes, verifying
/// everything: plain objects by their SHA-256 tree digest and size, encrypted ones by the GCM tag of every
/// chunk (the last one flagged as last and bound to the trailer) and the size.
/// The calling thread reads, decrypts and decompresses while a second thread hashes and
/// writes the output (from its first full buffer on: `BlockWriter`). Reusable: owns its
/// buffers and native contexts; not for use by two threads at once.
public final class ObjectDecoder {
    /// Plain payloads are read in blocks of this size.
    private static let plainBlockSize = 1 << 20

    private let keyring: Keyring?
    private var decompressors: [UInt8: PayloadDecompressor] = [:]
    private var cipher: AES256GCM?
    private var digest: OriginalDigest?
    private let writer = BlockWriter()
    /// Input: a block of payload, or the largest stored chunk, plus the 48 bytes that may be the trailer.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(
        byteCount: max(ObjectDecoder.plainBlockSize, 1 << Int(ObjectHeader.acceptedChunkSizeLog2.upperBound))
            + AES256GCM.tagSize + ObjectTrailer.size,
        alignment: 64)
    private var nonce = ChunkNonce()
    /// The header of the object `decode` read last, nil until one was read (verify counts objects of format 1 and
    /// objects by key id).
    public private(set) var lastHeader: ObjectHeader?

    /// Decodes with whichever key of `keyring` the object's header names; nil reads plain objects only.
    public init(keyring: Keyring?) {
        self.keyring = keyring
    }

    /// Decodes with `key` alone.
    public convenience init(key: MasterKey?) {
        self.init(keyring: key.map(Keyring.init(single:)))
    }

    deinit { buffer.deallocate() }

    /// Writes the original bytes to `sink`; throws ObjectFormatError (naming `object`) on
    /// anything wrong, including an object of format 2 that is not `identity`, one of format 1 where `identity` does not
    /// accept that format (`ObjectIdentity.acceptsFormat1`), or one of format 2 where `identity` is nil (what lists it is of format 1, so a format 2 object there was put in its place).
    /// The caller writes to a temporary file and publishes it only when
    /// this returns: on a throw, `sink` may have received unverified bytes.
    /// `source` is read on the calling thread; `sink` is written on a second thread once the output fills a buffer
    /// (1 MiB), on the calling thread after `source` otherwise; never concurrently with anything else.
    public func decode(from source: ByteSource, to sink: ByteSink, object: String, identity: ObjectIdentity?) throws -> ObjectTrailer {
        lastHeader = nil
        let headerCount = try readFully(source, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<ObjectHeader.size]))
        let headerBytes = Array(buffer[0..<headerCount])
        if headerCount < ObjectHeader.size {
            // Starts like an object but ends inside the header.
            if headerCount >= 4, Array(headerBytes[0..<4]) == ObjectHeader.magic { throw ObjectFormatError.truncated(object: object) }
            throw ObjectFormatError.notAnObject(object: object)
        }
        let header = try ObjectHeader(parsing: headerBytes, object: object)
        lastHeader = header
        let bound = header.bindsIdentity ? identity : nil
        if header.bindsIdentity && identity == nil { throw ObjectFormatError.unexpectedFormat(object: object, version: header.version) }
        if !header.bindsIdentity, let identity, !identity.acceptsFormat1 {
            throw ObjectFormatError.format1AfterSwitch(object: object, identity: identity.description)
        }
        let decompressor = try self.decompressor(for: header.compression)
        decompressor.begin()
        var trailer: ObjectTrailer?

        switch header.cipher {
        case .none:
            if let keyring { throw ObjectFormatError.plaintextButKeyGiven(object: object, keyID: keyring.active.keyIDHex) }
            let digest = try self.digest ?? OriginalDigest(key: nil)
            self.digest = digest
            try digest.reset()
            try writer.run(to: sink, hashing: digest) {
                trailer = try decodePlain(source, object, decompressor)
            }
            guard let trailer else { throw ObjectFormatError.truncated(object: object) }
            guard trailer.digestKind == .of(keyed: false, identity: bound != nil) else {
                throw ObjectFormatError.corruptTrailer(object: object, reason: "a plain object of format \(header.version) must carry digest kind \(DigestKind.of(keyed: false, identity: bound != nil).rawValue)")
            }
            try checkSize(trailer, object)
            guard try digest.finish(identity: bound).digest == trailer.digest else { throw ObjectFormatError.digestMismatch(object: object) }
            try checkPiece(trailer, bound, object)
            return trailer

        case .aes256GCMStream:
            guard let keyring else { throw ObjectFormatError.encryptedButNoKey(object: object, keyID: hex(header.keyID)) }
            guard let key = keyring.key(id: header.keyID) else {
                throw ObjectFormatError.wrongKey(object: object, expected: hex(header.keyID), given: keyring.idsHex)
            }
            let cipher = try self.cipher ?? AES256GCM(key: [UInt8](repeating: 0, count: AES256GCM.keySize))
            self.cipher = cipher
            cipher.rekey(try key.objectKey(salt: header.salt))
            try writer.run(to: sink, hashing: nil) {
                trailer = try decodeEncrypted(source, object, decompressor, header, headerBytes + (bound?.bytes ?? []), cipher)
            }
            guard let trailer else { throw ObjectFormatError.truncated(object: object) }
            guard trailer.digestKind == .of(keyed: true, identity: bound != nil) else {
                throw ObjectFormatError.corruptTrailer(object: object, reason: "an encrypted object of format \(header.version) must carry digest kind \(DigestKind.of(keyed: true, identity: bound != nil).rawValue)")
            }
            try checkSize(trailer, object)
            try checkPiece(trailer, bound, object)
            return trailer
        }
    }

    /// Feeds the payload to the decompressor, holding back the last 48 bytes read: the
    /// trailer's position is only known at the end. Returns the trailer.
    private func decodePlain(_ source: ByteSource, _ object: String, _ decompressor: PayloadDecompressor) throws -> ObjectTrailer {
        let capacity = ObjectDecoder.plainBlockSize + ObjectTrailer.size
        var held = 0
        while true {
            held += try readFully(source, into: UnsafeMutableRawBufferPointer(rebasing: buffer[held..<capacity]))
            let ended = held < capacity
            if held > ObjectTrailer.size {
                let payload = held - ObjectTrailer.size
                try decompress(UnsafeRawBufferPointer(rebasing: buffer[0..<payload]), decompressor, object)
                keepTail(from: payload)
                held = ObjectTrailer.size
            }
            if ended { break }
        }
        guard held == ObjectTrailer.size else { throw ObjectFormatError.truncated(object: object) }
        let trailer = try ObjectTrailer(parsing: Array(buffer[0..<ObjectTrailer.size]), object: object)
        try flush(decompressor, object)
        return trailer
    }

    /// Authenticates, decrypts and decompresses chunk after chunk; `associatedData` is the header's bytes and
    /// (format 2) the identity's. Returns the trailer.
    private func decodeEncrypted(_ source: ByteSource, _ object: String, _ decompressor: PayloadDecompressor,
                                 _ header: ObjectHeader, _ associatedData: [UInt8], _ cipher: AES256GCM) throws -> ObjectTrailer {
        let chunkSize = header.chunkSize
        let tagSize = AES256GCM.tagSize
        // A full stored chunk (C + 16) followed by at least 48 more bytes cannot be the last
        // chunk, whose ciphertext is at most C - 1 bytes: fill C + 64 bytes to tell.
        let capacity = chunkSize + tagSize + ObjectTrailer.size
        var held = 0
        var index = 0
        var aad = associatedData
        while true {
            held += try readFully(source, into: UnsafeMutableRawBufferPointer(rebasing: buffer[held..<capacity]))
            guard held == capacity else { break }
            try open(chunkSize, index: index, last: false, aad: aad, cipher, object)
            try decompress(UnsafeRawBufferPointer(rebasing: buffer[0..<chunkSize]), decompressor, object)
            keepTail(from: chunkSize + tagSize)
            held = ObjectTrailer.size
            index += 1
        }
        // What is left: the last chunk (0 ... C-1 bytes), its tag, the trailer.
        guard held >= tagSize + ObjectTrailer.size else { throw ObjectFormatError.truncated(object: object) }
        let trailerBytes = Array(buffer[(held - ObjectTrailer.size)..<held])
        guard Array(trailerBytes[44..<48]) == ObjectTrailer.magic else { throw ObjectFormatError.truncated(object: object) }
        aad += trailerBytes
        let last = held - tagSize - ObjectTrailer.size
        try open(last, index: index, last: true, aad: aad, cipher, object)
        try decompress(UnsafeRawBufferPointer(rebasing: buffer[0..<last]), decompressor, object)
        try flush(decompressor, object)
        return try ObjectTrailer(parsing: trailerBytes, object: object)
    }

    /// Authenticates and decrypts, in place, the chunk of `count` bytes at the start of the
    /// buffer whose tag follows it.
    private func open(_ count: Int, index: Int, last: Bool, aad: [UInt8], _ cipher: AES256GCM, _ object: String) throws {
        nonce.set(index: index, last: last)
        let data = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        let tag = UnsafeRawBufferPointer(rebasing: buffer[count..<count + AES256GCM.tagSize])
        let verified = try nonce.bytes.withUnsafeBytes { nonce in
            try aad.withUnsafeBytes { aad in try cipher.open(data, nonce: nonce, aad: aad, tag: tag) }
        }
        guard verified else { throw ObjectFormatError.authenticationFailed(object: object, chunk: index) }
    }

    /// Decompresses `input` straight into the writer's buffers.
    private func decompress(_ input: UnsafeRawBufferPointer, _ decompressor: PayloadDecompressor, _ object: String) throws {
        var offset = 0
        do {
            while offset < input.count {
                var consumed = 0
                let produced = try writer.fill { space in
                    let step = try decompressor.decompress(UnsafeRawBufferPointer(rebasing: input[offset...]), into: space)
                    consumed = step.consumed
                    return step.produced
                }
                if consumed == 0 && produced == 0 {
                    throw NativeError.corruptInput(format: "compressed", message: "the decoder makes no progress")
                }
                offset += consumed
            }
        } catch let error as NativeError {
            throw ObjectFormatError.corruptCompressedData(object: object, reason: error.description)
        }
    }

    /// Drains the decompressor after the last input; throws if its frame is incomplete.
    private func flush(_ decompressor: PayloadDecompressor, _ object: String) throws {
        do {
            while try writer.fill({ try decompressor.flush(into: $0) }) > 0 {}
        } catch let error as NativeError {
            throw ObjectFormatError.corruptCompressedData(object: object, reason: error.description)
        }
    }

    /// A backup piece must be flagged last exactly when the reader expects the last piece: a dropped
    /// last piece (or one added after it) is refused.
    private func checkPiece(_ trailer: ObjectTrailer, _ identity: ObjectIdentity?, _ object: String) throws {
        guard let identity, trailer.lastPiece != identity.lastPiece else { return }
        throw ObjectFormatError.identityMismatch(object: object, identity: identity.description)
    }

    private func checkSize(_ trailer: ObjectTrailer, _ object: String) throws {
        guard writer.total == trailer.originalSize else {
            throw ObjectFormatError.sizeMismatch(object: object, expected: trailer.originalSize, actual: writer.total)
        }
    }

    /// Moves the 48 bytes at `offset` to the start of the buffer.
    private func keepTail(from offset: Int) {
        guard let base = buffer.baseAddress else { return }
        memmove(base, base + offset, ObjectTrailer.size)
    }

    private func decompressor(for compression: Compression) throws -> PayloadDecompressor {
        if let existing = decompressors[compression.code] { return existing }
        let created = try compression.makeDecompressor()
        decompressors[compression.code] = created
        return created
    }
}
