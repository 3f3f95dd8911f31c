import PITRSupport

/// An AWS shared credentials or config file: INI sections of `key = value` lines.
/// In the config file a profile's section is `[profile NAME]` (`[default]` for the default
/// profile); in the credentials file it is `[NAME]`. Lines starting with # or ; are comments.
package struct AWSProfileFile {
    package enum Kind { case credentials, config }

    /// Keys (lower-cased) and values by profile name.
    package let profiles: [String: [String: String]]

    /// Parses `text`; nested (indented) sub-settings such as `s3 =` blocks are skipped.
    init(text: String, kind: Kind) {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let isIndented = rawLine.first == " " || rawLine.first == "\t"
            let line = rawLine.trimmingSpaces()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingSpaces()
                switch kind {
                case .credentials:
                    current = name
                case .config:
                    if name == "default" {
                        current = name
                    } else if name.hasPrefix("profile ") {
                        current = name.dropFirst("profile ".count).trimmingSpaces()
                    } else {
                        current = nil  // [sso-session x], [services x]: not profiles
                    }
                }
                if let current, profiles[current] == nil { profiles[current] = [:] }
                continue
            }
            guard let current, !isIndented, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingSpaces().lowercased()
            let value = line[line.index(after: equals)...].trimmingSpaces()
            profiles[current]?[key] = value
        }
        self.profiles = profiles
    }

    /// Reads `path`; nil when the file does not exist.
    package static func read(_ path: String, kind: Kind) throws -> AWSProfileFile? {
        guard FileSystem.exists(path) else { return nil }
        let bytes = try FileSystem.readFile(path)
        return AWSProfileFile(text: String(decoding: bytes, as: UTF8.self), kind: kind)
    }
}

extension String {
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}
