/// A JSON value (RFC 8259) parsed from its bytes: backup_manifest and the answers of AWS KMS are the
/// JSON the tool reads, and Sources/PITR goes without Foundation.
package indirect enum JSONValue: Equatable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// A number's text, as written (sizes and versions are read from it as integers).
    case number(String)
    case bool(Bool)
    case null

    /// Parses one value filling all of `bytes` but whitespace; throws `JSONValue.Invalid` naming the offset.
    package static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var parser = Parser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.offset == bytes.count else { throw parser.invalid("text after the end of the JSON value") }
        return value
    }

    package struct Invalid: Error {
        package let reason: String
    }

    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    package var string: String? { if case .string(let text) = self { text } else { nil } }
    package var integer: Int? { if case .number(let text) = self { Int(text) } else { nil } }
    package var array: [JSONValue]? { if case .array(let items) = self { items } else { nil } }

    private struct Parser {
        let bytes: [UInt8]
        var offset = 0

        func invalid(_ reason: String) -> Invalid { Invalid(reason: "\(reason) at byte \(offset)") }

        mutating func skipSpace() {
            while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
        }

        mutating func expect(_ literal: String) throws {
            let expected = Array(literal.utf8)
            guard offset + expected.count <= bytes.count, Array(bytes[offset..<offset + expected.count]) == expected else {
                throw invalid("expected \(literal)")
            }
            offset += expected.count
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < 64 else { throw invalid("nesting too deep") }
            skipSpace()
            guard offset < bytes.count else { throw invalid("unexpected end") }
            switch bytes[offset] {
            case UInt8(ascii: "{"):
                offset += 1
                var members: [String: JSONValue] = [:]
                skipSpace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    guard members[key] == nil else { throw invalid("duplicate key \"\(key)\"") }
                    members[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard offset < bytes.count else { throw invalid("unexpected end") }
                    offset += 1
                    if bytes[offset - 1] == UInt8(ascii: "}") { return .object(members) }
                    guard bytes[offset - 1] == UInt8(ascii: ",") else { offset -= 1; throw invalid("expected , or }") }
                }
            case UInt8(ascii: "["):
                offset += 1
                var items: [JSONValue] = []
                skipSpace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(items) }
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard offset < bytes.count else { throw invalid("unexpected end") }
                    offset += 1
                    if bytes[offset - 1] == UInt8(ascii: "]") { return .array(items) }
                    guard bytes[offset - 1] == UInt8(ascii: ",") else { offset -= 1; throw invalid("expected , or ]") }
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default:
                let start = offset
                while offset < bytes.count, Array("+-0123456789.eE".utf8).contains(bytes[offset]) { offset += 1 }
                guard offset > start else { throw invalid("unexpected character") }
                return .number(String(decoding: bytes[start..<offset], as: UTF8.self))
            }
        }

        mutating func string() throws -> String {
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw invalid("expected a string") }
            offset += 1
            var text: [UInt8] = []
            while true {
                guard offset < bytes.count else { throw invalid("unterminated string") }
                let byte = bytes[offset]
                offset += 1
                if byte == UInt8(ascii: "\"") { return String(decoding: text, as: UTF8.self) }
                guard byte >= 0x20 else { throw invalid("control character in a string") }
                guard byte == UInt8(ascii: "\\") else { text.append(byte); continue }
                guard offset < bytes.count else { throw invalid("unterminated string") }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        try expect("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw invalid("unpaired surrogate") }
                        scalar = 0x10000 + (scalar - 0xD800) << 10 + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw invalid("invalid \\u escape") }
                    text.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw invalid("invalid escape")
                }
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard offset + 4 <= bytes.count,
                  let value = Hex.parse32(Substring(String(decoding: bytes[offset..<offset + 4], as: UTF8.self)), uppercaseOnly: false) else {
                throw invalid("invalid \\u escape")
            }
            offset += 4
            return value
        }
    }
}
