import PITRNative

/// The 12-byte AES-GCM nonce of chunk `index`: an 11-byte big-endian counter followed by
/// the last-chunk flag (docs/format.md). Binding position and finality into the nonce is
/// what makes dropped, reordered or truncated chunks fail authentication.
struct ChunkNonce {
    private(set) var bytes = [UInt8](repeating: 0, count: AES256GCM.nonceSize)

    mutating func set(index: Int, last: Bool) {
        // Counters never exceed 64 bits here, so bytes 0...2 stay zero.
        let value = UInt64(index)
        for position in 0..<8 {
            bytes[3 + position] = UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * position))
        }
        bytes[11] = last ? 1 : 0
    }
}
