/// Joining CRC-32C values without the bytes: the checksum of A followed by B from the checksums of A and B and B's
/// length, and the checksum of A followed by zeros. A CRC register fed zeros is multiplied by x^8 per byte modulo the
/// polynomial, so both come down to one multiplication by x^(8n) in GF(2)[x]/P, with x^(2^k) kept for k < 64: about
/// a microsecond, however long B or the zeros are. What lets a file written in pieces, in any order, have its
/// checksum without being read back (`PiecewiseCRC32C`).
extension CRC32C {
    /// The checksum of A followed by B, from A's checksum, B's and B's length in bytes.
    public static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        multiply(powerOfX(bytes: secondLength), first) ^ second
    }

    /// The checksum of A followed by `count` zero bytes, from A's checksum.
    public static func appendingZeros(to value: UInt32, count: Int) -> UInt32 {
        ~multiply(powerOfX(bytes: count), ~value)
    }

    /// a·b modulo the polynomial, both in the reflected order (bit 31 is x^0).
    fileprivate static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0
        var b = b
        var bit: UInt32 = 1 << 31
        while bit != 0 {
            if a & bit != 0 { product ^= b }
            bit >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ 0x82F6_3B78 : b >> 1
        }
        return product
    }

    /// x^(8·bytes) modulo the polynomial.
    private static func powerOfX(bytes: Int) -> UInt32 {
        var power: UInt32 = 1 << 31  // x^0
        var bits = UInt64(bytes) << 3
        var k = 0
        while bits != 0 {
            if bits & 1 != 0 { power = multiply(PowersOfX.shared.table[k], power) }
            bits >>= 1
            k += 1
        }
        return power
    }
}

/// x^(2^k) modulo the CRC-32C polynomial for k < 64, built once per process by squaring.
private struct PowersOfX: Sendable {
    static let shared = PowersOfX()
    let table: [UInt32]

    private init() {
        var table: [UInt32] = [1 << 30]  // x^1
        while let last = table.last, table.count < 64 { table.append(CRC32C.multiply(last, last)) }
        self.table = table
    }
}
