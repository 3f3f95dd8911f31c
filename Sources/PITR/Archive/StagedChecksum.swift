#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checksum that guards a staged segment between the prefetcher's verification and the
/// hand-over to PostgreSQL: a 64-bit multiply-rotate hash in four independent lanes (the round
/// function of xxHash64), not a cryptographic digest.
///
/// The prefetcher stages only files it authenticated against the repository; what can go wrong
/// afterwards is damage in the staging folder (a flipped bit, a truncated or overwritten file).
/// Any such change alters the checksum with near certainty. It costs about a millisecond per
/// 16 MiB from the page cache, against 7 ms for `CRC32C` in software and more for the SHA-256
/// tree (`FileDigest`), which matters because PostgreSQL's replay waits for it at every hand-over.
struct StagedChecksum: Equatable {
    let value: UInt64

    fileprivate static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    fileprivate static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    fileprivate static let prime3: UInt64 = 0x1656_67B1_9E37_79F9

    /// The checksum of a whole file, read through a mapping whose pages are all mapped at once
    /// (`MAP_POPULATE`): one system call instead of a page fault every 64 KiB.
    init(file: SystemFile) throws {
        self = try file.withMappedBytes(populate: true) { StagedChecksum(bytes: $0) }
    }

    /// The checksum of `bytes`; the length takes part, so a truncated file differs too.
    init(bytes: UnsafeRawBufferPointer) {
        var accumulator = Accumulator()
        accumulator.add(bytes)
        self = accumulator.checksum
    }

    /// As 16 hexadecimal digits, for the sidecar.
    var text: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The checksum of bytes that arrive in pieces of any size, equal to that of the whole.
    struct Accumulator {
        private var lanes: (UInt64, UInt64, UInt64, UInt64) = (prime1 &+ prime2, prime2, 0, 0 &- prime1)
        private var count = 0
        /// The bytes after the last whole 32-byte block, fewer than 32.
        private var pending: [UInt8] = []

        init() {}

        mutating func add(_ bytes: UnsafeRawBufferPointer) {
            guard var pointer = bytes.baseAddress, !bytes.isEmpty else { return }
            count += bytes.count
            var remaining = bytes.count
            if !pending.isEmpty {
                let taken = min(32 - pending.count, remaining)
                pending.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: taken))
                pointer += taken
                remaining -= taken
                guard pending.count == 32 else { return }
                pending.withUnsafeBytes { block in
                    if let start = block.baseAddress { addBlocks(start, count: 32) }
                }
                pending.removeAll(keepingCapacity: true)
            }
            let whole = remaining & ~31
            addBlocks(pointer, count: whole)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: pointer + whole, count: remaining - whole))
        }

        /// Four lanes keep four multiplications in flight: the loop runs at memory speed.
        private mutating func addBlocks(_ start: UnsafeRawPointer, count: Int) {
            var lanes = self.lanes
            var pointer = start
            let end = start + count
            while pointer < end {
                lanes.0 = laneRound(lanes.0, pointer.loadUnaligned(as: UInt64.self))
                lanes.1 = laneRound(lanes.1, pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                lanes.2 = laneRound(lanes.2, pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
                lanes.3 = laneRound(lanes.3, pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
                pointer += 32
            }
            self.lanes = lanes
        }

        var checksum: StagedChecksum {
            var hash = UInt64(count) &* prime3
            if count > 0 {
                hash = laneRound(laneRound(laneRound(laneRound(hash, lanes.0), lanes.1), lanes.2), lanes.3)
                for byte in pending {
                    hash = laneRound(hash, UInt64(byte))
                }
            }
            // Final mixing, so that a change in any lane reaches every bit.
            hash ^= hash >> 33
            hash = hash &* prime2
            hash ^= hash >> 29
            hash = hash &* prime3
            hash ^= hash >> 32
            return StagedChecksum(value: hash)
        }
    }

    /// Passes the bytes on to another sink and takes their checksum on the way.
    final class Sink: ByteSink {
        private let destination: ByteSink
        private var accumulator = Accumulator()

        init(_ destination: ByteSink) {
            self.destination = destination
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            try destination.write(bytes)
            accumulator.add(bytes)
        }

        /// The checksum of everything written so far.
        var checksum: StagedChecksum { accumulator.checksum }
    }

    private init(value: UInt64) {
        self.value = value
    }
}

@inline(__always)
private func laneRound(_ accumulator: UInt64, _ word: UInt64) -> UInt64 {
    let mixed = accumulator &+ UInt64(littleEndian: word) &* StagedChecksum.prime2
    return ((mixed << 31) | (mixed >> 33)) &* StagedChecksum.prime1
}
