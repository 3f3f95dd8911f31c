import PITRNative
import PITRSupport

/// Cuts an encrypted object's payload into chunks as it streams in, seals each with
/// AES-256-GCM and writes ciphertext + tag to the sink (docs/format.md). A full chunk is
/// sealed as soon as it fills, since only the final chunk (0 ... C-1 bytes) can be the last.
final class ChunkSealer {
    let chunkSize: Int
    private let storage: UnsafeMutableRawPointer
    private let chunk: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var index = 0
    private let cipher: AES256GCM
    private var nonce = ChunkNonce()
    /// Header and identity, then (for the last chunk) trailer.
    private var aad: [UInt8] = []
    private var sink: ByteSink?

    init(chunkSizeLog2: UInt8) throws {
        chunkSize = 1 << Int(chunkSizeLog2)
        storage = UnsafeMutableRawPointer.allocate(byteCount: chunkSize + AES256GCM.tagSize, alignment: 64)
        chunk = UnsafeMutableRawBufferPointer(start: storage, count: chunkSize + AES256GCM.tagSize)
        // Rekeyed for every object in `begin`.
        cipher = try AES256GCM(key: [UInt8](repeating: 0, count: AES256GCM.keySize))
        aad.reserveCapacity(ObjectHeader.size + 256 + ObjectTrailer.size)
    }

    deinit { storage.deallocate() }

    /// `associatedData` is what every chunk authenticates: the header bytes, then the identity's.
    func begin(objectKey: [UInt8], associatedData: [UInt8], sink: ByteSink) {
        cipher.rekey(objectKey)
        aad = associatedData
        filled = 0
        index = 0
        self.sink = sink
    }

    /// Adds payload bytes, writing every chunk that fills.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let take = min(chunkSize - filled, bytes.count - offset)
            (storage + filled).copyMemory(from: base + offset, byteCount: take)
            filled += take
            offset += take
            if filled == chunkSize { try seal(last: false) }
        }
    }

    /// Seals the remaining 0 ... C-1 bytes as the last chunk, authenticating `trailer` with it.
    func finish(trailer: [UInt8]) throws {
        aad += trailer
        try seal(last: true)
        sink = nil
    }

    /// Forgets the sink (after `finish` or a failure), so it is not kept open.
    func release() {
        sink = nil
    }

    private func seal(last: Bool) throws {
        guard let sink else { return }
        nonce.set(index: index, last: last)
        let data = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<filled])
        let tag = UnsafeMutableRawBufferPointer(rebasing: chunk[filled..<filled + AES256GCM.tagSize])
        try nonce.bytes.withUnsafeBytes { nonce in
            try aad.withUnsafeBytes { aad in
                try cipher.seal(data, nonce: nonce, aad: aad, tag: tag)
            }
        }
        try sink.write(UnsafeRawBufferPointer(rebasing: chunk[0..<filled + AES256GCM.tagSize]))
        index += 1
        filled = 0
    }
}
