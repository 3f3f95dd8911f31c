/// One 512-byte ustar header as PostgreSQL's BASE_BACKUP writes it (src/port/tar.c): name (with the
/// ustar prefix when present), mode, size in octal or, from 8 GiB, base-256, type and link target.
struct TarHeader: Equatable {
    static let blockSize = 512

    enum Kind: Equatable {
        case file
        case directory
        case symlink(target: String)
    }

    /// The entry's path exactly as stored (directories and symlinks end in '/').
    let name: String
    let mode: UInt32
    let size: Int
    let kind: Kind

    /// True for an all-zero block: two of them end the archive.
    static func isZeroBlock(_ block: UnsafeRawBufferPointer) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Decodes a header block; `archive` names the archive in errors.
    init(_ block: UnsafeRawBufferPointer, archive: String) throws {
        precondition(block.count == TarHeader.blockSize)
        let bytes = Array(block)
        let stored = TarHeader.number(bytes[148..<156])
        // The checksum is the sum of the header's bytes with its own field read as spaces.
        let sum = bytes.indices.reduce(0) { $0 + Int((148..<156).contains($1) ? 0x20 : bytes[$1]) }
        guard let stored, stored == sum else {
            throw RestoreError.corruptArchive(archive: archive, reason: "a header's checksum does not match (a truncated or damaged stream)")
        }
        let name = TarHeader.text(bytes[0..<100])
        let prefix = TarHeader.text(bytes[345..<500])
        let magic = Array(bytes[257..<262])
        self.name = (magic == Array("ustar".utf8) && !prefix.isEmpty) ? prefix + "/" + name : name
        guard let mode = TarHeader.number(bytes[100..<108]), let size = TarHeader.number(bytes[124..<136]), size >= 0 else {
            throw RestoreError.corruptArchive(archive: archive, reason: "entry '\(self.name)' has an unreadable mode or size")
        }
        self.mode = UInt32(truncatingIfNeeded: mode)
        self.size = size
        switch bytes[156] {
        case UInt8(ascii: "0"), 0: kind = .file
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "2"): kind = .symlink(target: TarHeader.text(bytes[157..<257]))
        default: throw RestoreError.unsupportedEntry(archive: archive, entry: self.name, type: bytes[156])
        }
    }

    /// Text up to the first NUL.
    private static func text(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field (space- or NUL-terminated), or base-256 when its first byte has the high bit set.
    static func number(_ field: ArraySlice<UInt8>) -> Int? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            // Base-256: big-endian two's complement over the field, the flag bit cleared.
            guard first & 0x40 == 0 else { return nil }
            var value = Int(first & 0x3f)
            for byte in field.dropFirst() {
                guard value <= (Int.max >> 8) else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        // An empty field (only spaces and NULs) reads as 0.
        var value = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || byte == 0x20 {
                if seenDigit { break } else { continue }
            }
            guard byte >= 0x30, byte <= 0x37, value <= (Int.max >> 3) else { return nil }
            value = value << 3 | Int(byte - 0x30)
            seenDigit = true
        }
        return value
    }
}
