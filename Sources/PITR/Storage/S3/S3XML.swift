/// Just enough XML for S3's answers (ListBucketResult, InitiateMultipartUploadResult,
/// CompleteMultipartUploadResult, DeleteResult, Error): elements without attributes,
/// found by name, with the five named entities and numeric character references decoded.
enum S3XML {
    /// The raw (undecoded) content of every `<tag>...</tag>` element, in order.
    static func elements(_ tag: String, in xml: Substring) -> [Substring] {
        let open = "<\(tag)>", close = "</\(tag)>"
        var found: [Substring] = []
        var rest = xml[...]
        while let start = rest.firstRange(of: open) {
            let afterOpen = rest[start.upperBound...]
            guard let end = afterOpen.firstRange(of: close) else { break }
            found.append(afterOpen[..<end.lowerBound])
            rest = afterOpen[end.upperBound...]
        }
        return found
    }

    /// The decoded text of the first `<tag>` element, or nil.
    static func value(_ tag: String, in xml: Substring) -> String? {
        elements(tag, in: xml).first.map(decode)
    }

    static func values(_ tag: String, in xml: Substring) -> [String] {
        elements(tag, in: xml).map(decode)
    }

    /// Replaces entity and character references.
    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { break }
            let name = rest[rest.index(after: amp)..<semicolon]
            switch name {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number: UInt32? = name.hasPrefix("#x") ? UInt32(name.dropFirst(2), radix: 16)
                    : name.hasPrefix("#") ? UInt32(name.dropFirst(), radix: 10) : nil
                if let number, let scalar = Unicode.Scalar(number) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += rest[amp...semicolon]
                }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }

    /// Escapes text for an element's content.
    static func escape(_ text: String) -> String {
        text.escaping(["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&apos;"])
    }
}
