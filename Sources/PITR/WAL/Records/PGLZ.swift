/// PostgreSQL's own LZ format (src/common/pg_lzcompress.c), as wal_compression = pglz writes a page image: no header;
/// a control byte, read from its lowest bit, then up to eight items, each a literal byte (bit 0) or a back-reference
/// (bit 1) of two or three bytes: the first byte's low nibble is the length less 3 (15 adds a third byte, so 18 to
/// 273), its high nibble and the second byte the distance (1 to 4095) back into what is already decoded. A
/// back-reference is copied byte by byte, so it may overlap its own output (a run).
enum PGLZ {
    struct Corrupt: Error, CustomStringConvertible {
        let description: String
    }

    /// Decodes `input` into exactly `size` bytes. Input that ends inside an item, refers back before the start or past
    /// `size`, decodes to fewer bytes, or goes on after the last one, throws `Corrupt`; nothing is read or written
    /// outside the two buffers.
    static func decompress(_ input: UnsafeRawBufferPointer, size: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var read = 0, written = 0
        try output.withUnsafeMutableBufferPointer { output in
            while read < input.count {
                guard written < size else { throw Corrupt(description: "\(input.count - read) bytes follow the \(size) it decodes to") }
                let control = input[read]
                read += 1
                for item in 0..<8 where read < input.count {
                    guard control & (1 << item) != 0 else {
                        guard written < size else { throw Corrupt(description: "a literal at byte \(read) lies past the \(size) bytes") }
                        output[written] = input[read]
                        written += 1
                        read += 1
                        continue
                    }
                    guard read + 2 <= input.count else { throw Corrupt(description: "it ends inside the back-reference at byte \(read)") }
                    let (first, second) = (Int(input[read]), Int(input[read + 1]))
                    var length = first & 0x0F + 3
                    let distance = (first & 0xF0) << 4 | second
                    read += 2
                    if length == 18 {
                        guard read < input.count else { throw Corrupt(description: "it ends inside the back-reference at byte \(read - 2)") }
                        length += Int(input[read])
                        read += 1
                    }
                    guard distance > 0, distance <= written else {
                        throw Corrupt(description: "the back-reference at output byte \(written) reaches \(distance) bytes back")
                    }
                    guard written + length <= size else {
                        throw Corrupt(description: "the back-reference at output byte \(written) runs \(written + length - size) bytes past the end")
                    }
                    for at in written..<(written + length) { output[at] = output[at - distance] }
                    written += length
                }
            }
        }
        guard written == size else { throw Corrupt(description: "it decodes to \(written) bytes, not \(size)") }
        return output
    }
}
