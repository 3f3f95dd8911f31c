import PITRSupport

/// A config file in systemd EnvironmentFile form: `KEY=value` lines; blank lines and lines
/// starting with `#` or `;` are ignored; whitespace around keys and values is trimmed; a value
/// may be quoted with "..." (where \" and \\ stand for " and \) or '...' (taken literally).
/// The file may be shared with other programs, so keys outside our prefixes are skipped,
/// but an unknown key under our prefix is an error: a typo must not silently drop a setting.
///
/// Errors describe a line by file and number and never show its text, nor a name that does not
/// read as a setting name (`SecretText`): a key pasted alone on a line, or a key file given as
/// the config file, must not reach the server log. A file that holds a secret setting must be
/// private to the user running the command (`SecretFile.Policy.configFile`).
struct ConfigFile: Equatable {
    struct Entry: Equatable {
        let value: String
        let line: Int
    }

    let path: String
    /// Known settings only; for a key given twice the last line wins, as in systemd.
    let entries: [String: Entry]

    /// Reads, parses and, when it holds a secret setting, checks the permissions of `path`.
    /// `namedBy` is where TAILTOWN_CONFIG came from (nil for the default file), so an unreadable
    /// file is reported against the setting that named it.
    static func read(_ path: String, namedBy: SettingOrigin?) throws -> ConfigFile {
        let file: SecretFile
        do {
            file = try SecretFile.read(path)
        } catch let error as IOError {
            throw ConfigError.configFileUnreadable(path: path, namedBy: namedBy, reason: String(cString: strerror(error.code)))
        }
        let config = try parse(String(decoding: file.bytes, as: UTF8.self), path: path)
        if let secret = config.firstSecret, let problem = file.problem(under: .configFile) {
            throw ConfigError.configFileAccess(path: path, secret: secret, problem: problem)
        }
        return config
    }

    /// The name of the first secret setting the file gives a value, by line, or nil when it holds none.
    var firstSecret: String? {
        entries.filter { name, entry in SettingDefinition.named(name)?.isSecret == true && !entry.value.isEmpty }
            .min { $0.value.line < $1.value.line }?.key
    }

    static func parse(_ text: String, path: String) throws -> ConfigFile {
        var entries: [String: Entry] = [:]
        var number = 0
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            let line = trimmed(Substring(rawLine))
            guard let first = line.first, first != "#", first != ";" else { continue }
            // A base64 key ends in "=", so a key pasted alone would otherwise read as NAME= and be ignored.
            if SecretText.isBareKey(line) {
                throw ConfigError.malformedLine(path: path, line: number, problem:
                    "looks like an encryption key on its own, not NAME=value: name a key file with TAILTOWN_ENCRYPTION_KEY_FILE "
                    + "(or --encryption-key-file), or write TAILTOWN_ENCRYPTION_KEY=<key> in a file only its owner can read")
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError.malformedLine(path: path, line: number, problem: "is not NAME=value: it has no '='")
            }
            let key = String(trimmed(line[..<equals]))
            guard isValidName(key) else {
                let hint = key.hasPrefix("export ") ? ": remove 'export'" : ": a name is letters, digits and _, not starting with a digit"
                throw ConfigError.malformedLine(path: path, line: number, problem: "is not NAME=value" + hint)
            }
            let value = try unquoted(trimmed(line[line.index(after: equals)...]), path: path, line: number)
            if let definition = SettingDefinition.named(key) {
                if definition.name == SettingDefinition.config.name {
                    throw ConfigError.notAllowedInFile(path: path, line: number, key: key)
                }
                entries[key] = Entry(value: value, line: number)
            } else if SettingDefinition.isReserved(key) {
                throw ConfigError.unknownKey(path: path, line: number, key: SecretText.isShowableName(key) ? key : nil,
                                             suggestion: SettingDefinition.suggestion(for: key))
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
                    throw ConfigError.malformedLine(path: path, line: line, problem: "has text after the closing quote of its value")
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
        throw ConfigError.malformedLine(path: path, line: line, problem: "has a quoted value with no closing \(quote)")
    }
}
