/// What a `JSONEvents` parser reports as it reads a JSON text, in order.
package protocol JSONEventHandler: AnyObject {
    func beginObject() throws
    func endObject() throws
    func beginArray() throws
    func endArray() throws
    /// A member's name; its value's events follow.
    func key(_ name: String) throws
    /// A string, number (its text as written), true, false or null.
    func scalar(_ value: JSONValue) throws
}

/// A JSON text (RFC 8259) read as it arrives, in pieces of any size, into events for a handler: for a text too large to
/// hold as a `JSONValue` tree (a backup_manifest of 100,000 files). It accepts what `JSONValue.parse` accepts and
/// throws `JSONValue.Invalid` naming the byte offset where it does not.
package final class JSONEvents {
    private enum Container { case object, array }
    private enum Expect { case value, firstValueOrEnd, firstKeyOrEnd, key, colon, commaOrEnd, end }
    private enum Token {
        case none
        case string(isKey: Bool)
        case escape(isKey: Bool)
        /// Four hex digits after \u: the value so far and the digits read.
        case unicode(isKey: Bool, value: UInt32, digits: Int)
        case number
        case literal(JSONValue, [UInt8], matched: Int)
    }

    private let handler: JSONEventHandler
    private var stack: [Container] = []
    private var expect = Expect.value
    private var token = Token.none
    private var text: [UInt8] = []
    /// A high surrogate waiting for its low half.
    private var highSurrogate: UInt32?
    private var offset = 0

    package init(handler: JSONEventHandler) {
        self.handler = handler
    }

    private func invalid(_ reason: String) -> JSONValue.Invalid { JSONValue.Invalid(reason: "\(reason) at byte \(offset)") }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        for byte in bytes {
            try consume(byte)
            offset += 1
        }
    }

    /// Throws unless the text was exactly one value, then whitespace.
    package func finish() throws {
        if case .number = token { try endNumber() }
        guard case .none = token, expect == .end else { throw invalid("unexpected end") }
    }

    private func consume(_ byte: UInt8) throws {
        switch token {
        case .none:
            try structural(byte)
        case .string(let isKey):
            if byte == UInt8(ascii: "\"") {
                token = .none
                guard highSurrogate == nil else { throw invalid("unpaired surrogate") }
                let value = String(decoding: text, as: UTF8.self)
                text.removeAll(keepingCapacity: true)
                if isKey {
                    expect = .colon
                    try handler.key(value)
                } else {
                    try handler.scalar(.string(value))
                    endValue()
                }
            } else if byte == UInt8(ascii: "\\") {
                token = .escape(isKey: isKey)
            } else {
                guard byte >= 0x20 else { throw invalid("control character in a string") }
                guard highSurrogate == nil else { throw invalid("unpaired surrogate") }
                text.append(byte)
            }
        case .escape(let isKey):
            token = .string(isKey: isKey)
            if byte == UInt8(ascii: "u") {
                token = .unicode(isKey: isKey, value: 0, digits: 0)
                return
            }
            guard highSurrogate == nil else { throw invalid("unpaired surrogate") }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
            case UInt8(ascii: "b"): text.append(0x08)
            case UInt8(ascii: "f"): text.append(0x0C)
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "t"): text.append(0x09)
            default: throw invalid("invalid escape")
            }
        case .unicode(let isKey, let value, let digits):
            guard let digit = Hex.digit(byte) else { throw invalid("invalid \\u escape") }
            let scalar = value << 4 | UInt32(digit)
            guard digits == 3 else {
                token = .unicode(isKey: isKey, value: scalar, digits: digits + 1)
                return
            }
            token = .string(isKey: isKey)
            try appendEscaped(scalar)
        case .number:
            if Self.isNumberByte(byte) {
                text.append(byte)
            } else {
                try endNumber()
                try structural(byte)
            }
        case .literal(let value, let expected, let matched):
            guard byte == expected[matched] else { throw invalid("expected \(String(decoding: expected, as: UTF8.self))") }
            if matched + 1 < expected.count {
                token = .literal(value, expected, matched: matched + 1)
            } else {
                token = .none
                try handler.scalar(value)
                endValue()
            }
        }
    }

    /// One \u escape's code unit: a high surrogate waits for its low half.
    private func appendEscaped(_ unit: UInt32) throws {
        var scalar = unit
        if let high = highSurrogate {
            guard (0xDC00..<0xE000).contains(unit) else { throw invalid("unpaired surrogate") }
            highSurrogate = nil
            scalar = 0x10000 + (high - 0xD800) << 10 + (unit - 0xDC00)
        } else if (0xD800..<0xDC00).contains(unit) {
            highSurrogate = unit
            return
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw invalid("invalid \\u escape") }
        text.append(contentsOf: Array(String(Character(unicode)).utf8))
    }

    private func endNumber() throws {
        token = .none
        let value = String(decoding: text, as: UTF8.self)
        text.removeAll(keepingCapacity: true)
        try handler.scalar(.number(value))
        endValue()
    }

    private func endValue() {
        expect = stack.isEmpty ? .end : .commaOrEnd
    }

    /// A byte outside any string, number or literal.
    private func structural(_ byte: UInt8) throws {
        if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D { return }
        switch expect {
        case .end:
            throw invalid("text after the end of the JSON value")
        case .colon:
            guard byte == UInt8(ascii: ":") else { throw invalid("expected :") }
            expect = .value
        case .key, .firstKeyOrEnd:
            if expect == .firstKeyOrEnd, byte == UInt8(ascii: "}") { return try close(.object) }
            guard byte == UInt8(ascii: "\"") else { throw invalid("expected a string") }
            token = .string(isKey: true)
        case .commaOrEnd:
            let container = stack[stack.count - 1]
            if byte == UInt8(ascii: ",") {
                expect = container == .object ? .key : .value
            } else if byte == UInt8(ascii: container == .object ? "}" : "]") {
                try close(container)
            } else {
                throw invalid(container == .object ? "expected , or }" : "expected , or ]")
            }
        case .value, .firstValueOrEnd:
            if expect == .firstValueOrEnd, byte == UInt8(ascii: "]") { return try close(.array) }
            try beginValue(byte)
        }
    }

    private func beginValue(_ byte: UInt8) throws {
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard stack.count < 64 else { throw invalid("nesting too deep") }
            if byte == UInt8(ascii: "{") {
                stack.append(.object)
                expect = .firstKeyOrEnd
                try handler.beginObject()
            } else {
                stack.append(.array)
                expect = .firstValueOrEnd
                try handler.beginArray()
            }
        case UInt8(ascii: "\""): token = .string(isKey: false)
        case UInt8(ascii: "t"): token = .literal(.bool(true), Array("true".utf8), matched: 1)
        case UInt8(ascii: "f"): token = .literal(.bool(false), Array("false".utf8), matched: 1)
        case UInt8(ascii: "n"): token = .literal(.null, Array("null".utf8), matched: 1)
        default:
            guard Self.isNumberByte(byte) else { throw invalid("unexpected character") }
            token = .number
            text.append(byte)
        }
    }

    /// What a number's text is made of (as `JSONValue.parse` reads it).
    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }

    private func close(_ container: Container) throws {
        stack.removeLast()
        if container == .object { try handler.endObject() } else { try handler.endArray() }
        endValue()
    }
}
