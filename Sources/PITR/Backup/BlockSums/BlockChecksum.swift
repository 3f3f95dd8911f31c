import PITRNative
import PITRPipeline
import PITRSupport

/// The checksum of one 8 KiB relation block that a block-compare incremental compares with its parent's: the first
/// 16 bytes of HMAC-SHA256 under a key derived from the master key (docs/format.md, "Block checksums"). 128 bits,
/// keyed: a stale block passes for a changed one only by a collision no one can aim for without the key. Without a
/// key (a plain repository) the HMAC is keyed by the repository id, which guards against accidents only, as every
/// digest of a plain repository does.
///
/// Every block of a backup is checksummed, so the cost matters: on a processor with the SHA instructions two blocks
/// are checksummed at once from the key's precomputed states (`HMACSHA256Pair`); elsewhere one at a time by
/// libcrypto. Both give the same bytes.
package final class BlockChecksum {
    package static let size = 16
    /// The key id (16 hex digits) the checksums are keyed by; "" when keyed by the repository id.
    package let keyID: String
    private let engine: Engine
    /// The two whole MACs of the last call.
    private let macs = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * HMACSHA256.digestSize, alignment: 16)

    private enum Engine {
        case pair(HMACSHA256Pair)
        case libcrypto(HMACSHA256)
    }

    package init(key: MasterKey?, repositoryID: String) throws {
        keyID = key?.keyIDHex ?? ""
        let hmacKey = try key?.blockChecksumKey() ?? Array("tailtown-pitr v1 block checksum key \(repositoryID)".utf8)
        engine = SHA256Pair.isAvailable ? .pair(try HMACSHA256Pair(key: hmacKey)) : .libcrypto(try HMACSHA256(key: hmacKey))
    }

    deinit { macs.deallocate() }

    /// Writes the checksums of two blocks of the same length into `firstOutput` and `secondOutput` (`size` bytes
    /// each), at the cost of about one block's on the SHA instructions.
    package func checksums(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer,
                           into firstOutput: UnsafeMutableRawBufferPointer, _ secondOutput: UnsafeMutableRawBufferPointer) throws {
        switch engine {
        case .pair(let pair):
            pair.macs(of: first, and: second, into: macs)
            firstOutput.copyMemory(from: UnsafeRawBufferPointer(rebasing: macs[..<Self.size]))
            secondOutput.copyMemory(from: UnsafeRawBufferPointer(rebasing: macs[HMACSHA256.digestSize..<HMACSHA256.digestSize + Self.size]))
        case .libcrypto:
            try checksum(first, into: firstOutput)
            try checksum(second, into: secondOutput)
        }
    }

    /// Writes the block's checksum into `output` (at least `size` bytes).
    package func checksum(_ block: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        switch engine {
        case .pair(let pair):
            pair.macs(of: block, and: block, into: macs)
        case .libcrypto(let hmac):
            try hmac.reset()
            try hmac.update(block)
            try hmac.finish().withUnsafeBytes { macs.copyMemory(from: $0) }
        }
        output.copyMemory(from: UnsafeRawBufferPointer(rebasing: macs[..<Self.size]))
    }

    package func checksum(_ block: UnsafeRawBufferPointer) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Self.size)
        try output.withUnsafeMutableBytes { try checksum(block, into: $0) }
        return output
    }
}
