import PITRSupport

/// A config file in systemd EnvironmentFile form: `KEY=value` lines; blank lines and lines
/// starting with `#` or `;` are ignored; whitespace around keys and values is trimmed; a value
/// may be quoted with "..." (where \" and \\ stand for " and \) or '...' (taken literally).
/// The file may be shared with other programs, so keys outside our prefixes are skipped,
/// but an unknown key under our prefix is an error: a typo must not silently drop a setting.
struct ConfigFile: Equatable {
    struct Entry: Equatable {
        let value: String
        let line: Int
    }

    let path: String
    /// Known settings only; for a key given twice the last line wins, as in systemd.
    let entries: [String: Entry]

    /// Reads and parses `path`. `namedBy` is where TAILTOWN_CONFIG came from (nil for the default file),
    /// so an unreadable file is reported against the setting that named it.
    static func read(_ path: String, namedBy: SettingOrigin?) throws -> ConfigFile {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path)
        } catch let error as IOError {
            throw ConfigError.configFileUnreadable(path: path, namedBy: namedBy, reason: String(cString: strerror(error.code)))
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    static func parse(_ text: String, path: String) throws -> ConfigFile {
        var entries: [String: Entry] = [:]
        var number = 0
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            let line = trimmed(Substring(rawLine))
            guard let first = line.first, first != "#", first != ";" else { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError.malformedLine(path: path, line: number, problem: "expected KEY=value, found no '='")
            }
            let key = String(trimmed(line[..<equals]))
            guard isValidName(key) else {
                throw ConfigError.malformedLine(path: path, line: number, problem: "'\(OneLine.of(key))' is not a valid setting name")
            }
            let value = try unquoted(trimmed(line[line.index(after: equals)...]), path: path, line: number)
            if let definition = SettingDefinition.named(key) {
                if definition.name == SettingDefinition.config.name {
                    throw ConfigError.notAllowedInFile(path: path, line: number, key: key)
                }
                entries[key] = Entry(value: value, line: number)
            } else if SettingDefinition.isReserved(key) {
                throw ConfigError.unknownKey(path: path, line: number, key: key, suggestion: SettingDefinition.suggestion(for: key))
            }
        }
        return ConfigFile(path: path, entries: entries)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = text.firstIndex(where: { !isSpace($0) }),
              let end = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return text[start...end]
    }

    private static func isValidName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// The value with its quotes removed; text after a closing quote is an error rather than guessed at.
    private static func unquoted(_ text: Substring, path: String, line: Int) throws -> String {
        guard let quote = text.first, quote == "\"" || quote == "'" else { return String(text) }
        var value = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let char = text[index]
            if char == quote {
                let rest = text[text.index(after: index)...]
                guard rest.isEmpty else {
                    throw ConfigError.malformedLine(path: path, line: line, problem: "unexpected text after the closing quote")
                }
                return value
            }
            if quote == "\"", char == "\\" {
                let next = text.index(after: index)
                if next < text.endIndex, text[next] == "\"" || text[next] == "\\" {
                    value.append(text[next])
                    index = text.index(after: next)
                    continue
                }
            }
            value.append(char)
            index = text.index(after: index)
        }
        throw ConfigError.malformedLine(path: path, line: line, problem: "the quoted value has no closing \(quote)")
    }
}
