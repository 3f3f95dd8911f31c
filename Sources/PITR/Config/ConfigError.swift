import PITRSupport

/// A configuration problem. Each message is one line that names the setting (or file and line)
/// and where its value came from, and never contains a secret value.
public enum ConfigError: PITRError, Equatable {
    /// A config file that was named or exists could not be read. `namedBy` is where
    /// TAILTOWN_CONFIG came from, or nil for the default file.
    case configFileUnreadable(path: String, namedBy: SettingOrigin?, reason: String)
    /// A line that is not `NAME=value`, or whose value is badly quoted. The line is never shown:
    /// it may be a key pasted alone.
    case malformedLine(path: String, line: Int, problem: String)
    /// A name under our prefix that no setting has. `key` is the name when it may be shown
    /// (`SecretText.isShowableName`), else nil; `suggestion` is a known name close to it.
    case unknownKey(path: String, line: Int, key: String?, suggestion: String?)
    /// A known setting that only makes sense outside a config file (TAILTOWN_CONFIG itself).
    case notAllowedInFile(path: String, line: Int, key: String)
    /// A config file that holds the secret setting `secret` but that others may read or change.
    case configFileAccess(path: String, secret: String, problem: FileAccessProblem)
    /// A caller passed a flag value for a setting that has no flag: a programming error.
    case noSuchFlag(setting: String)
    /// A required setting no source sets.
    case missing(setting: String, flag: String?, defaultFile: String)
    /// `value` is nil when it may not be shown (`SettingDefinition.shown`): secret settings, and text that looks like a key.
    case invalidValue(setting: String, value: String?, origin: SettingOrigin, problem: String)
    case conflicting(setting: String, origin: SettingOrigin, other: String, otherOrigin: SettingOrigin)
    /// A key file named by TAILTOWN_ENCRYPTION_KEY_FILE is unusable.
    case keyFileSetting(origin: SettingOrigin, path: String, problem: KeyFileProblem)
    /// A key file used on its own (keygen, tests) is unusable.
    case keyFile(path: String, problem: KeyFileProblem)
    case keyFileExists(path: String)
    case randomUnavailable(reason: String)

    public var description: String {
        switch self {
        case .configFileUnreadable(let path, let namedBy?, let reason):
            "\(SettingDefinition.config.shownAssignment(path)) (\(namedBy.fromDescription)): cannot read the config file: \(reason)"
        case .configFileUnreadable(let path, nil, let reason):
            "cannot read the config file '\(OneLine.of(path))': \(reason)"
        case .malformedLine(let path, let line, let problem):
            "line \(line) of \(OneLine.of(path)) \(problem)"
        case .unknownKey(let path, let line, let key, let suggestion):
            "line \(line) of \(OneLine.of(path)) sets "
                + (key.map { "\($0), which is not a setting" } ?? "a name under \(SettingDefinition.reservedPrefixes[0]) that is not a setting")
                + (suggestion.map { " (did you mean \($0)?)" } ?? "")
                + ": fix the name or remove the line"
        case .notAllowedInFile(let path, let line, let key):
            "line \(line) of \(OneLine.of(path)) sets \(key), which cannot be set in a config file: use the flag or the environment"
        case .configFileAccess(let path, let secret, let problem):
            "config file '\(OneLine.of(path))' holds \(secret), a secret, but \(problem.description(path: path))"
        case .noSuchFlag(let setting):
            "no command-line flag sets \(OneLine.of(setting))"
        case .missing(let setting, let flag, let defaultFile):
            "\(setting) is not set: set it in the environment, in the config file (--config FILE or TAILTOWN_CONFIG) or \(defaultFile)"
                + (flag.map { ", or pass \($0)" } ?? "")
        case .invalidValue(let setting, let value?, let origin, let problem):
            "\(setting)='\(OneLine.of(value))' (\(origin.fromDescription)) \(problem)"
        case .invalidValue(let setting, nil, let origin, let problem):
            "\(setting) (\(origin.fromDescription)) \(problem)"
        case .conflicting(let setting, let origin, let other, let otherOrigin):
            "\(setting) (\(origin.fromDescription)) and \(other) (\(otherOrigin.fromDescription)) are both set: keep only one"
        case .keyFileSetting(let origin, let path, let problem):
            "\(SettingDefinition.encryptionKeyFile.shownAssignment(path)) (\(origin.fromDescription)"
                + (SettingDefinition.encryptionKeyFile.shown(path) == nil ? "; the value looks like a key rather than a path" : "")
                + "): the key file "
                + problem.description(path: SettingDefinition.encryptionKeyFile.shown(path) ?? "FILE")
        case .keyFile(let path, let problem):
            "encryption key file " + (SettingDefinition.encryptionKeyFile.shown(path).map { "'\($0)' " } ?? "")
                + problem.description(path: SettingDefinition.encryptionKeyFile.shown(path) ?? "FILE")
        case .keyFileExists(let path):
            "key file '\(OneLine.of(path))' already exists: refusing to overwrite a key; choose another name"
        case .randomUnavailable(let reason):
            "cannot get random bytes for a key: \(reason)"
        }
    }
}

/// Why a key file cannot be used. Messages never contain the file's content.
public enum KeyFileProblem: Error, Equatable, Sendable {
    case unreadable(reason: String)
    /// Not a regular file, or open to other users than its owner (and group).
    case access(FileAccessProblem)
    case tooLarge
    case notBase64
    case wrongLength(Int)

    func description(path: String) -> String {
        switch self {
        case .unreadable(let reason): "cannot be read: \(reason)"
        case .access(let problem): problem.description(path: path)
        case .tooLarge: "is too large to hold a key: expected the base64 of 32 bytes, as written by tailtown-pitr keygen"
        case .notBase64: "does not hold base64: expected the base64 of 32 bytes, as written by tailtown-pitr keygen"
        case .wrongLength(let count): "holds \(count) bytes, not 32: expected the base64 of 32 bytes, as written by tailtown-pitr keygen"
        }
    }
}

/// Keeps messages on one line whatever a value holds: control characters become `?`.
enum OneLine {
    static func of(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
}
