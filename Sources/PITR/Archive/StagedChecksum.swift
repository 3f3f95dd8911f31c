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

    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9

    /// The checksum of a whole file, read through a read-only mapping.
    init(file: SystemFile) throws {
        self = try file.withMappedBytes { StagedChecksum(bytes: $0) }
    }

    /// The checksum of `bytes`; the length takes part, so a truncated file differs too.
    init(bytes: UnsafeRawBufferPointer) {
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (Self.prime1 &+ Self.prime2, Self.prime2, 0, 0 &- Self.prime1)
        var hash = UInt64(bytes.count) &* Self.prime3
        if var pointer = bytes.baseAddress {
            let end = pointer + bytes.count
            // Four lanes keep four multiplications in flight: the loop runs at memory speed.
            while end - pointer >= 32 {
                lanes.0 = Self.round(lanes.0, pointer.loadUnaligned(as: UInt64.self))
                lanes.1 = Self.round(lanes.1, pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                lanes.2 = Self.round(lanes.2, pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
                lanes.3 = Self.round(lanes.3, pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
                pointer += 32
            }
            hash = Self.round(Self.round(Self.round(Self.round(hash, lanes.0), lanes.1), lanes.2), lanes.3)
            while pointer < end {
                hash = Self.round(hash, UInt64(pointer.load(as: UInt8.self)))
                pointer += 1
            }
        }
        // Final mixing, so that a change in any lane reaches every bit.
        hash ^= hash >> 33
        hash = hash &* Self.prime2
        hash ^= hash >> 29
        hash = hash &* Self.prime3
        hash ^= hash >> 32
        value = hash
    }

    /// As 16 hexadecimal digits, for the sidecar.
    var text: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    @inline(__always)
    private static func round(_ accumulator: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = accumulator &+ UInt64(littleEndian: word) &* prime2
        return ((mixed << 31) | (mixed >> 33)) &* prime1
    }
}
