import PITRSupport

/// One 512-byte ustar header as PostgreSQL's BASE_BACKUP writes it (src/port/tar.c): name (with the
/// ustar prefix when present), mode, size in octal or, from 8 GiB, base-256, type and link target.
package struct TarHeader: Equatable, Sendable {
    package static let blockSize = 512

    package enum Kind: Equatable, Sendable {
        case file
        case directory
        case symlink(target: String)
    }

    /// The entry's path exactly as stored (directories and symlinks end in '/').
    package let name: String
    package let mode: UInt32
    package let size: Int
    package let kind: Kind
    /// Seconds since the epoch.
    package let modificationTime: Int

    package init(name: String, mode: UInt32, size: Int, kind: Kind, modificationTime: Int) {
        self.name = name
        self.mode = mode
        self.size = size
        self.kind = kind
        self.modificationTime = modificationTime
    }

    /// The zero bytes that pad an entry's data of `size` bytes to whole blocks.
    package static func padding(for size: Int) -> Int { (blockSize - size % blockSize) % blockSize }

    /// True for an all-zero block: two of them end the archive.
    package static func isZeroBlock(_ block: UnsafeRawBufferPointer) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Decodes a header block; `archive` names the archive in errors.
    package init(_ block: UnsafeRawBufferPointer, archive: String) throws {
        precondition(block.count == TarHeader.blockSize)
        let bytes = Array(block)
        let stored = TarHeader.number(bytes[148..<156])
        // The checksum is the sum of the header's bytes with its own field read as spaces.
        let sum = bytes.indices.reduce(0) { $0 + Int((148..<156).contains($1) ? 0x20 : bytes[$1]) }
        guard let stored, stored == sum else {
            throw TarFormatError.corrupt(archive: archive, reason: "a header's checksum does not match (a truncated or damaged stream)")
        }
        let name = TarHeader.text(bytes[0..<100])
        let prefix = TarHeader.text(bytes[345..<500])
        let magic = Array(bytes[257..<262])
        self.name = (magic == Array("ustar".utf8) && !prefix.isEmpty) ? prefix + "/" + name : name
        guard let mode = TarHeader.number(bytes[100..<108]), let size = TarHeader.number(bytes[124..<136]), size >= 0 else {
            throw TarFormatError.corrupt(archive: archive, reason: "entry '\(self.name)' has an unreadable mode or size")
        }
        modificationTime = TarHeader.number(bytes[136..<148]) ?? 0
        self.mode = UInt32(truncatingIfNeeded: mode)
        self.size = size
        switch bytes[156] {
        case UInt8(ascii: "0"), 0: kind = .file
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "2"): kind = .symlink(target: TarHeader.text(bytes[157..<257]))
        default: throw TarFormatError.unsupported(archive: archive, entry: self.name, type: bytes[156])
        }
    }

    /// Text up to the first NUL.
    private static func text(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field (space- or NUL-terminated), or base-256 when its first byte has the high bit set.
    package static func number(_ field: ArraySlice<UInt8>) -> Int? {
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

    /// The header block, written as PostgreSQL's tar.c writes it: the name in the name field (with the ustar prefix
    /// for a longer one), octal numbers, the size in base-256 from 8 GiB.
    package var bytes: [UInt8] {
        var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        let path = Array(name.utf8)
        if path.count > 100, let cut = path[..<min(path.count, 156)].lastIndex(of: UInt8(ascii: "/")), path.count - cut - 1 <= 100 {
            put(String(decoding: path[..<cut], as: UTF8.self), at: 345, width: 155)
            put(String(decoding: path[(cut + 1)...], as: UTF8.self), at: 0, width: 100)
        } else {
            put(name, at: 0, width: 100)
        }
        octal(Int(mode), at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        if size >= 1 << 33 {
            block[124] = 0x80
            for index in 0..<8 { block[135 - index] = UInt8(truncatingIfNeeded: size >> (8 * index)) }
        } else {
            octal(size, at: 124, width: 12)
        }
        octal(modificationTime, at: 136, width: 12)
        switch kind {
        case .file: block[156] = UInt8(ascii: "0")
        case .directory: block[156] = UInt8(ascii: "5")
        case .symlink(let target):
            block[156] = UInt8(ascii: "2")
            put(target, at: 157, width: 100)
        }
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        block[155] = 0x20
        return block
    }
}
