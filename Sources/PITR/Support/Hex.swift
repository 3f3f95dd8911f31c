/// Hexadecimal: fixed-width uppercase as PostgreSQL writes it in WAL file names and LSNs, and lowercase
/// bytes (digests, key ids).
package enum Hex {
    /// Parses exactly `text.count` hex digits; `uppercaseOnly` refuses a-f, as
    /// PostgreSQL never writes them in file names (a lowercase name is a different file).
    package static func parse32(_ text: Substring, uppercaseOnly: Bool) -> UInt32? {
        guard !text.isEmpty, text.count <= 8 else { return nil }
        var value: UInt32 = 0
        for byte in text.utf8 {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f") where !uppercaseOnly: digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// The value of one hex digit, either case; nil for any other byte.
    package static func digit(_ byte: UInt8) -> UInt8? {
        let lowercased = byte | 0x20
        if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { return byte - UInt8(ascii: "0") }
        if lowercased >= UInt8(ascii: "a") && lowercased <= UInt8(ascii: "f") { return lowercased - UInt8(ascii: "a") + 10 }
        return nil
    }

    /// Uppercase hex, zero-padded to `width` digits (no padding when `width` is 0).
    package static func format<T: BinaryInteger>(_ value: T, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        guard digits.count < width else { return digits }
        return String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Lowercase hex of `bytes`.
package func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 15)])
    }
    return text
}
