import PITRNative
import PITRPipeline
import PITRSupport

/// The checksum of one 8 KiB relation block that a block-compare incremental compares with its parent's: the first
/// 16 bytes of HMAC-SHA256 under a key derived from the master key (docs/format.md, "Block checksums"). 128 bits,
/// keyed: a stale block passes for a changed one only by a collision no one can aim for without the key. Without a
/// key (a plain repository) the HMAC is keyed by the repository id, which guards against accidents only, as every
/// digest of a plain repository does.
package final class BlockChecksum {
    package static let size = 16
    /// The key id (16 hex digits) the checksums are keyed by; "" when keyed by the repository id.
    package let keyID: String
    private let hmac: HMACSHA256

    package init(key: MasterKey?, repositoryID: String) throws {
        keyID = key?.keyIDHex ?? ""
        if let key {
            hmac = try HMACSHA256(key: try key.blockChecksumKey())
        } else {
            hmac = try HMACSHA256(key: Array("tailtown-pitr v1 block checksum key \(repositoryID)".utf8))
        }
    }

    /// Writes the block's checksum into `output` (at least `size` bytes).
    package func checksum(_ block: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        try hmac.reset()
        try hmac.update(block)
        try hmac.finish().withUnsafeBytes { output.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<Self.size])) }
    }

    package func checksum(_ block: UnsafeRawBufferPointer) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Self.size)
        try output.withUnsafeMutableBytes { try checksum(block, into: $0) }
        return output
    }
}
