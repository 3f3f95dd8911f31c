import Testing
@testable import PITRNative

@Suite struct CRC32CTests {
    /// The check value of the CRC catalogue and the iSCSI vectors of RFC 3720 appendix B.4.
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
    }

    /// The eight-byte loop and the byte loop agree: any split into updates gives the same value.
    @Test func incrementalUpdatesMatchOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = CRC32C.checksum(data)
        for split in [0, 1, 3, 7, 8, 9, 500, 999, 1000] {
            var crc = CRC32C()
            data.withUnsafeBytes {
                crc.update(UnsafeRawBufferPointer(rebasing: $0[..<split]))
                crc.update(UnsafeRawBufferPointer(rebasing: $0[split...]))
            }
            #expect(crc.value == whole, "split at \(split)")
        }
    }

    /// The processor's instruction (when this machine has it) and the software tables agree on every
    /// length and alignment.
    @Test func theInstructionAndTheTablesAgree() {
        #expect(CRC32C.hardware, "this x86-64 test machine has SSE 4.2: the instruction path must be the one tested")
        let data = (0..<4099).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        data.withUnsafeBytes { all in
            for (start, end) in [(0, 4099), (1, 4099), (3, 11), (5, 5), (7, 4000), (0, 1)] {
                let slice = UnsafeRawBufferPointer(rebasing: all[start..<end])
                var hardware = CRC32C(), software = CRC32C()
                hardware.update(slice)
                software.updateInSoftware(slice)
                #expect(hardware.value == software.value, "bytes \(start)..<\(end)")
            }
        }
    }
}

@Suite struct CRC32CCombineTests {
    private let data = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }

    /// The checksum of A then B from theirs, for splits at every kind of place, and continuing a finished value.
    @Test func combineMatchesTheWholeChecksum() {
        let whole = CRC32C.checksum(data)
        for split in [0, 1, 7, 8, 4096, 8192, 12_345, 19_999, 20_000] {
            let first = CRC32C.checksum(Array(data[..<split])), second = CRC32C.checksum(Array(data[split...]))
            #expect(CRC32C.combine(first, second, secondLength: data.count - split) == whole, "split at \(split)")
            var continued = CRC32C(continuing: first)
            Array(data[split...]).withUnsafeBytes { continued.update($0) }
            #expect(continued.value == whole, "continued at \(split)")
        }
    }

    /// Zeros appended by arithmetic equal zeros given to `update`, from the empty checksum too.
    @Test func appendingZerosMatchesUpdatingWithZeros() {
        for (prefix, zeros) in [(0, 1), (0, 8192), (5, 3), (1000, 65_536), (20_000, 1 << 20)] {
            var direct = CRC32C()
            Array(data[..<prefix]).withUnsafeBytes { direct.update($0) }
            let before = direct.value
            [UInt8](repeating: 0, count: zeros).withUnsafeBytes { direct.update($0) }
            #expect(CRC32C.appendingZeros(to: before, count: zeros) == direct.value, "\(prefix) bytes then \(zeros) zeros")
        }
        #expect(CRC32C.appendingZeros(to: 0x1234_5678, count: 0) == 0x1234_5678)
    }
}
