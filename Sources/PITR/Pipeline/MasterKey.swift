/// The repository's 256-bit master key, from TAILTOWN_ENCRYPTION_KEY(_FILE).
/// Per-object keys, the key id and the digest key are derived from it (docs/format.md);
/// the master key itself never encrypts data and never appears in any output.
public struct MasterKey: Sendable {
    public static let byteCount = 32
    public let bytes: [UInt8]

    /// Returns nil unless `bytes` holds exactly 32 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == MasterKey.byteCount else { return nil }
        self.bytes = bytes
    }
}
