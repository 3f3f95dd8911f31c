/// The small `key=value` text files the repository keeps about itself
/// (the repository marker and each archive's info), with `#` comments.
package struct MetadataText: Equatable {
    package var values: [(key: String, value: String)]

    package init(_ values: [(key: String, value: String)]) { self.values = values }

    package init(parsing bytes: [UInt8], object: String) throws {
        values = []
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("#") || line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ArchiveError.unreadableMetadata(object: object, reason: "line '\(line)' is not key=value")
            }
            values.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
        }
    }

    package subscript(key: String) -> String? { values.first { $0.key == key }?.value }

    /// Every value of `key`, in order (keys that repeat: the log's accepted keys and archives).
    package func all(_ key: String) -> [String] { values.filter { $0.key == key }.map(\.value) }

    package var bytes: [UInt8] {
        Array(values.map { "\($0.key)=\($0.value)\n" }.joined().utf8)
    }

    package static func == (a: MetadataText, b: MetadataText) -> Bool {
        a.values.elementsEqual(b.values) { $0 == $1 }
    }
}
