import PITRSupport

/// The `PG_VERSION` file of a data directory: the major version alone, such as "15\n".
public enum PostgreSQLVersionFile {
    /// Parses the file's content; `file` names it in errors. Versions before 10 ("9.6")
    /// and majors outside the supported range are refused.
    public static func majorVersion(content: [UInt8], file: String) throws -> Int {
        let text = String(decoding: content, as: UTF8.self)
        var trimmed = Substring(text)
        while let last = trimmed.last, last == "\n" || last == "\r" || last == " " { trimmed.removeLast() }
        guard !trimmed.isEmpty, trimmed.count <= 4, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }),
              let major = Int(trimmed)
        else {
            throw WALError.invalidVersionFile(file: file, content: String(text.prefix(40)).replacingNewlines())
        }
        return try PostgreSQLMajor.require(major, from: "'\(file)'")
    }

    /// Reads `<dataDirectory>/PG_VERSION`.
    public static func majorVersion(dataDirectory: String) throws -> Int {
        let path = dataDirectory + "/PG_VERSION"
        return try majorVersion(content: try FileSystem.readFile(path), file: path)
    }
}

private extension String {
    /// Keeps an error message on one line.
    func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
