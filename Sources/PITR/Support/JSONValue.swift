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
        let builder = TreeBuilder()
        let events = JSONEvents(handler: builder)
        try bytes.withUnsafeBytes { try events.write($0) }
        try events.finish()
        guard let value = builder.value else { throw Invalid(reason: "no JSON value") }
        return value
    }

    package struct Invalid: Error, Equatable {
        package let reason: String
    }

    package subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    package var string: String? { if case .string(let text) = self { text } else { nil } }
    package var integer: Int? { if case .number(let text) = self { Int(text) } else { nil } }
    package var array: [JSONValue]? { if case .array(let items) = self { items } else { nil } }

    /// Builds the tree from `JSONEvents`: the containers being filled, innermost last.
    private final class TreeBuilder: JSONEventHandler {
        private enum Open {
            case object([String: JSONValue], key: String?)
            case array([JSONValue])
        }

        private var open: [Open] = []
        private(set) var value: JSONValue?

        func beginObject() throws { open.append(.object([:], key: nil)) }
        func beginArray() throws { open.append(.array([])) }

        func key(_ name: String) throws {
            guard case .object(let members, _) = open.removeLast() else { return }
            guard members[name] == nil else { throw Invalid(reason: "duplicate key \"\(name)\"") }
            open.append(.object(members, key: name))
        }

        func endObject() throws {
            guard case .object(let members, _) = open.removeLast() else { return }
            try scalar(.object(members))
        }

        func endArray() throws {
            guard case .array(let items) = open.removeLast() else { return }
            try scalar(.array(items))
        }

        /// A finished value: into the container being filled, or the whole text's.
        func scalar(_ finished: JSONValue) throws {
            switch open.popLast() {
            case .object(var members, let key?):
                members[key] = finished
                open.append(.object(members, key: nil))
            case .array(var items):
                items.append(finished)
                open.append(.array(items))
            case .object, nil:
                value = finished
            }
        }
    }
}
