import Testing
@testable import PITRSupport

/// The streaming JSON parser, through the tree `JSONValue.parse` builds from its events, and fed in pieces.
@Suite struct JSONEventsTests {
    /// Records every event as a line of text.
    final class Recorder: JSONEventHandler {
        var events: [String] = []
        func beginObject() throws { events.append("{") }
        func endObject() throws { events.append("}") }
        func beginArray() throws { events.append("[") }
        func endArray() throws { events.append("]") }
        func key(_ name: String) throws { events.append("key \(name)") }
        func scalar(_ value: JSONValue) throws { events.append("\(value)") }
    }

    static func events(_ text: String, piece: Int) throws -> [String] {
        let recorder = Recorder()
        let parser = JSONEvents(handler: recorder)
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: piece) {
            try Array(bytes[start..<min(start + piece, bytes.count)]).withUnsafeBytes { try parser.write($0) }
        }
        try parser.finish()
        return recorder.events
    }

    @Test func parsesEveryKindOfValue() throws {
        let text = #" { "a": [1, -2.5e3, true, false, null, "x\"\\\/\b\f\n\r\t\u00E9\ud83d\uDE00"], "b": {}, "c": [], "d": {"e": {"f": 0}} } "#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x\"\\/\u{8}\u{c}\n\r\té😀")]))
        #expect(value["b"] == .object([:]) && value["c"] == .array([]))
        #expect(value["d"]?["e"]?["f"] == .number("0"))
        #expect(try JSONValue.parse(Array("42".utf8)) == .number("42"))
        #expect(try JSONValue.parse(Array("\"s\"\n".utf8)) == .string("s"))
    }

    @Test func givesTheSameEventsWhateverThePieces() throws {
        let text = #"{"files": [{"Path": "base/1/2", "Size": 8192}, {"Path": "a\u00e9", "Size": 0}], "n": null, "t": true}"#
        let whole = try Self.events(text, piece: text.utf8.count)
        #expect(whole.first == "{" && whole.contains("key Path") && whole.last == "}")
        for piece in [1, 2, 3, 7] {
            #expect(try Self.events(text, piece: piece) == whole)
        }
    }

    @Test func refusesWhatIsNotJSON() throws {
        let invalid: [(String, String)] = [
            ("", "unexpected end"), ("{", "unexpected end"), ("[1, 2", "unexpected end"), ("\"abc", "unexpected end"),
            ("{} {}", "text after the end"), ("[1 2]", "expected , or ]"), ("{\"a\" 1}", "expected :"), ("{\"a\": 1 \"b\": 2}", "expected , or }"),
            ("{1: 2}", "expected a string"), ("[tru]", "expected true"), ("[nul]", "expected null"), ("[x]", "unexpected character"),
            ("[\"\u{01}\"]", "control character"), ("[\"\\q\"]", "invalid escape"), ("[\"\\u12G4\"]", "invalid \\u escape"),
            ("[\"\\ud83d\"]", "unpaired surrogate"), ("[\"\\ud83dx\"]", "unpaired surrogate"), ("[\"\\ud83d\\u0041\"]", "unpaired surrogate"),
            ("{\"a\": 1, \"a\": 2}", "duplicate key \"a\""), (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nesting too deep"),
        ]
        for (text, reason) in invalid {
            #expect { try JSONValue.parse(Array(text.utf8)) } throws: { error in
                (error as? JSONValue.Invalid)?.reason.contains(reason) == true
            }
        }
        // The offset is named.
        #expect(throws: JSONValue.Invalid(reason: "expected , or ] at byte 3")) { try JSONValue.parse(Array("[1 2]".utf8)) }
        #expect(try JSONValue.parse(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)) != .null)
    }
}
