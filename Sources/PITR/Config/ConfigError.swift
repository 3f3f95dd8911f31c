import PITRPipeline
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
    /// `keygen --rotate` on a key file that has a pending key already.
    case pendingKeyExists(path: String, keyID: String)
    /// `keygen --activate ID` where ID is not a pending key of the file: `status` is its status, nil when the file lacks it.
    case notPendingKey(path: String, keyID: String, status: Keyring.Status?)
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
        case .pendingKeyExists(let path, let keyID):
            "key file '\(OneLine.of(path))' has pending key \(keyID) already: copy the file to every host that restores, then activate it "
                + "(tailtown-pitr keygen --activate \(keyID) FILE) before adding another"
        case .notPendingKey(let path, let keyID, .active?):
            "key \(keyID) is the active key of '\(OneLine.of(path))' already"
        case .notPendingKey(let path, let keyID, .retired?):
            "key \(keyID) of '\(OneLine.of(path))' is retired: only a pending key is activated (tailtown-pitr keygen --rotate FILE adds one)"
        case .notPendingKey(let path, let keyID, .pending?), .notPendingKey(let path, let keyID, nil):
            // What was typed is shown only when it reads as a key id: a key pasted in its place must not be echoed.
            "key file '\(OneLine.of(path))' has no key "
                + (keyID.count == 16 && keyID.allSatisfy { $0.isHexDigit } ? keyID : "with the id given")
                + ": give the id 'keygen --rotate' printed (the file's second column)"
        case .randomUnavailable(let reason):
            "cannot get random bytes for a key: \(reason)"
        }
    }
}

/// Why a key file cannot be used. Messages never contain the file's content, only line numbers and key ids.
public enum KeyFileProblem: Error, Equatable, Sendable {
    case unreadable(reason: String)
    /// Not a regular file, or open to other users than its owner (and group).
    case access(FileAccessProblem)
    case tooLarge
    /// Only blank lines and comments.
    case noKey
    /// The older form, one key alone, that is not base64 / not of 32 bytes.
    case notBase64
    case wrongLength(Int)
    case line(Int, KeyLineProblem)
    case noActiveKey
    case severalActiveKeys(lines: [Int])
    /// The wrapped key `keyID` on line `line` could be unwrapped neither by KMS nor by the passphrase; one reason per way tried.
    case unwrapFailed(line: Int, keyID: String, reasons: [String])

    static let expected = "expected lines 'STATUS KEY-ID MATERIAL' (docs/format.md, \"Key file\") or one base64 key of 32 bytes, as written by tailtown-pitr keygen"

    func description(path: String) -> String {
        switch self {
        case .unreadable(let reason): "cannot be read: \(reason)"
        case .access(let problem): problem.description(path: path)
        case .tooLarge: "is too large to be a key file: \(Self.expected)"
        case .noKey: "holds no key: \(Self.expected)"
        case .notBase64: "does not hold base64: \(Self.expected)"
        case .wrongLength(let count): "holds \(count) bytes, not 32: \(Self.expected)"
        case .line(let number, let problem): "is wrong on line \(number): \(problem.description)"
        case .noActiveKey: "has no active key: exactly one line must start with 'active' (tailtown-pitr keygen --activate ID makes a pending key active)"
        case .severalActiveKeys(let lines):
            "has \(lines.count) active keys (lines \(lines.map { "\($0)" }.joined(separator: ", "))): exactly one key encrypts; make the others 'retired'"
        case .unwrapFailed(let line, let keyID, let reasons):
            "holds key \(keyID) wrapped on line \(line), which cannot be unwrapped: " + reasons.joined(separator: "; ")
        }
    }
}

/// What is wrong with one line of a key file. Never quotes the line: it holds key material.
public enum KeyLineProblem: Error, Equatable, Sendable {
    case malformed
    case unknownStatus
    case badKeyID
    case duplicateID(id: String, firstLine: Int)
    /// A `wrapped:` material that does not parse (`WrappedKey.Malformed`'s predicate phrase).
    case badWrapping(String)
    /// `prefix` is shown when it cannot be a key (lowercase letters and digits, at most 16).
    case unknownMaterial(prefix: String?)
    case notBase64
    case wrongLength(Int)
    /// The line names `stated`, its key's id is `actual`: one of them was edited.
    case idMismatch(stated: String, actual: String)

    var description: String {
        switch self {
        case .malformed:
            "expected three fields 'STATUS KEY-ID MATERIAL', as in 'active 1a2b3c4d5e6f7081 base64:...' (docs/format.md, \"Key file\")"
        case .unknownStatus:
            "the status is not one of " + Keyring.Status.allCases.map(\.rawValue).joined(separator: ", ")
        case .badKeyID:
            "the key id is not 16 hex digits"
        case .duplicateID(let id, let firstLine):
            "key \(id) is listed on line \(firstLine) already: list each key once"
        case .badWrapping(let problem):
            "the key material after \(WrappedKey.prefix) \(problem)"
        case .unknownMaterial(let prefix?):
            "the key material has the unknown form '\(prefix):': expected \(KeyMaterial.plainPrefix) and the base64 of 32 bytes, or \(WrappedKey.prefix)"
        case .unknownMaterial(nil):
            "the key material does not start with a known form: expected \(KeyMaterial.plainPrefix) and the base64 of 32 bytes, or \(WrappedKey.prefix)"
        case .notBase64:
            "the key after \(KeyMaterial.plainPrefix) is not base64: expected the base64 of 32 bytes"
        case .wrongLength(let count):
            "the key after \(KeyMaterial.plainPrefix) holds \(count) bytes, not 32"
        case .idMismatch(let stated, let actual):
            "the line names key id \(stated) but its key's id is \(actual): the id or the key was changed; restore the file from its copy"
        }
    }
}

/// Keeps messages on one line whatever a value holds: control characters become `?`.
enum OneLine {
    static func of(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
}
