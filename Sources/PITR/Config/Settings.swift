import PITRPipeline
import PITRSupport

/// The effective configuration of one command: each known setting's raw value and origin,
/// layered from flags > environment > the named config file (`--config` or TAILTOWN_CONFIG)
/// > the default config file. Loading reads and checks the files; values are interpreted
/// only by the typed accessors, so `config` can report settings a command would refuse.
/// An empty value counts as unset, so it never hides a value set by a lower layer.
public struct Settings: Sendable {
    /// A config file that was consulted.
    public struct ConsultedFile: Equatable, Sendable {
        public let path: String
        /// Where TAILTOWN_CONFIG came from, or nil for the default file.
        public let namedBy: SettingOrigin?
        /// False only for a default file that does not exist (a named file must exist).
        public let found: Bool
    }

    /// Explicitly set values by setting name; defaults are not included.
    public let values: [String: SettingValue]
    public let consultedFiles: [ConsultedFile]
    /// Names under our prefix in the environment that no setting has, sorted; the command logs them as warnings.
    public let unknownEnvironmentKeys: [String]
    /// The default config file, for messages that tell where a setting may be set.
    public let defaultFile: String
    /// The names messages give settings, where they differ from the definitions' (the second repository's, `secondRepository`).
    var shownNames: [String: String] = [:]

    /// Layers the sources. `flags` is keyed by setting name (`"TAILTOWN_REPO"`), holding only the flags given.
    /// Throws `ConfigError` for a flag no setting has, a named config file that cannot be read,
    /// a default file that exists but cannot be read, and any malformed line or unknown key in a file.
    public static func load(
        flags: [String: String],
        environment: [String: String],
        defaultFile: String = "/etc/tailtown-pitr.conf"
    ) throws -> Settings {
        var flagValues: [String: SettingValue] = [:]
        for (name, text) in flags {
            guard let flag = SettingDefinition.named(name)?.flag else { throw ConfigError.noSuchFlag(setting: name) }
            flagValues[name] = SettingValue(text: text, origin: .flag(flag))
        }
        let environmentValue = { (name: String) -> SettingValue? in
            environment[name].map { SettingValue(text: $0, origin: .environment) }
        }

        var files: [ConfigFile] = []
        var consulted: [ConsultedFile] = []
        let configName = SettingDefinition.config.name
        let named = [flagValues[configName], environmentValue(configName)].compactMap { $0 }.first { !$0.text.isEmpty }
        if let named {
            files.append(try ConfigFile.read(named.text, namedBy: named.origin))
            consulted.append(ConsultedFile(path: named.text, namedBy: named.origin, found: true))
        }
        if named?.text != defaultFile {
            let found = FileSystem.exists(defaultFile)
            if found { files.append(try ConfigFile.read(defaultFile, namedBy: nil)) }
            consulted.append(ConsultedFile(path: defaultFile, namedBy: nil, found: found))
        }

        var values: [String: SettingValue] = [:]
        for definition in SettingDefinition.all {
            let name = definition.name
            let fromFiles = files.map { file in
                file.entries[name].map { SettingValue(text: $0.value, origin: .file(path: file.path, line: $0.line)) }
            }
            let layers = [flagValues[name], environmentValue(name)] + fromFiles
            values[name] = layers.compactMap { $0 }.first { !$0.text.isEmpty }
        }

        let unknown = environment.keys.filter { SettingDefinition.isReserved($0) && SettingDefinition.named($0) == nil }
        return Settings(values: values, consultedFiles: consulted, unknownEnvironmentKeys: unknown.sorted(), defaultFile: defaultFile)
    }

    /// The effective value of `definition`: the highest source that sets it, else its default, else nil.
    public func value(of definition: SettingDefinition) -> SettingValue? {
        if let value = values[definition.name] { return value }
        return definition.defaultValue.map { SettingValue(text: $0, origin: .defaultValue) }
    }

    /// One warning per unknown environment name, with a suggestion when a known name is close. A name is shown
    /// only when it reads as a setting name (`SecretText.isShowableName`).
    public var environmentWarnings: [String] {
        unknownEnvironmentKeys.map { name in
            (SecretText.isShowableName(name)
                ? "unknown setting \(name) in the environment is ignored"
                : "an environment variable under \(SettingDefinition.reservedPrefixes[0]) that is not a setting is ignored")
                + (SettingDefinition.suggestion(for: name).map { " (did you mean \($0)?)" } ?? "")
        }
    }

    /// The one way an invalid value is reported: it names the setting and its origin, and shows the value only when
    /// `SettingDefinition.shown` allows.
    package func invalid(_ definition: SettingDefinition, _ value: SettingValue, _ problem: String) -> ConfigError {
        .invalidValue(setting: shownNames[definition.name] ?? definition.name, value: definition.shown(value.text), origin: value.origin, problem: problem)
    }

    /// TAILTOWN_REPO, required by every command that touches the repository.
    public func repository() throws -> RepositoryURL {
        let definition = SettingDefinition.repository
        guard let value = value(of: definition) else {
            throw ConfigError.missing(setting: shownNames[definition.name] ?? definition.name, flag: definition.flag, defaultFile: defaultFile)
        }
        switch RepositoryURL.parse(value.text) {
        case .success(let url): return url
        case .failure(let problem): throw invalid(definition, value, problem.description)
        }
    }

    /// TAILTOWN_COMPRESSION, case-insensitive; lz4 by default.
    public func compression() throws -> Compression {
        let definition = SettingDefinition.compression
        guard let value = value(of: definition) else { return .lz4 }
        guard let compression = Compression(rawValue: value.text.lowercased()) else {
            throw invalid(definition, value, "is not one of " + Compression.namesInOrder.joined(separator: ", "))
        }
        return compression
    }

    /// TAILTOWN_COMPRESSION_LEVEL checked against the effective compression: lz4 1...12,
    /// zstd 1...19 or -5...-1 (fast modes). Nil when unset (the compressor's default) and
    /// always nil with `none`, where a level means nothing: a level left in a shared file
    /// must not stop `--compression none` from working.
    public func compressionLevel() throws -> Int? {
        let compression = try compression()
        let definition = SettingDefinition.compressionLevel
        guard compression != .none, let value = value(of: definition) else { return nil }
        guard let level = Int(value.text) else { throw invalid(definition, value, "is not an integer") }
        switch compression {
        case .lz4 where !(1...12).contains(level):
            throw invalid(definition, value, "is out of range for lz4: use 1...12")
        case .zstd where !(1...19).contains(level) && !(-5...(-1)).contains(level):
            throw invalid(definition, value, "is out of range for zstd: use 1...19, or -5...-1 for the fast modes")
        default:
            return level
        }
    }

    /// TAILTOWN_NOTIFY_URL, an http:// or https:// URL, or nil when unset.
    public func notifyURL() throws -> String? {
        let definition = SettingDefinition.notifyURL
        guard let value = value(of: definition) else { return nil }
        guard value.text.hasPrefix("http://") || value.text.hasPrefix("https://") else {
            throw invalid(definition, value, "is not an http:// or https:// URL")
        }
        return value.text
    }

    /// The keys from TAILTOWN_ENCRYPTION_KEY_FILE (several, after a rotation) or TAILTOWN_ENCRYPTION_KEY (one key;
    /// setting both is an error), or nil when neither is set and objects are not encrypted. Reads the key file on each call;
    /// wrapped keys are unwrapped by KMS or the passphrase (`KeyWrapping`), `home` locating ~/.aws and `log` told of a
    /// fallback to the passphrase.
    public func keyring(home: String? = nil, log: Log = Log()) throws -> Keyring? {
        let fileDefinition = SettingDefinition.encryptionKeyFile, inlineDefinition = SettingDefinition.encryptionKey
        let file = value(of: fileDefinition), inline = value(of: inlineDefinition)
        if let file, let inline {
            throw ConfigError.conflicting(
                setting: fileDefinition.name, origin: file.origin, other: inlineDefinition.name, otherOrigin: inline.origin)
        }
        if let file {
            switch KeyFile.load(file.text, wrapping: KeyWrapping(settings: self, home: home, log: log)) {
            case .success(let keyring): return keyring
            case .failure(let problem): throw ConfigError.keyFileSetting(origin: file.origin, path: file.text, problem: problem)
            }
        }
        if let inline {
            switch KeyFile.decode(inline.text) {
            case .success(let key): return Keyring(single: key)
            case .failure(.wrongLength(let count)):
                throw invalid(inlineDefinition, inline, "decodes to \(count) bytes, not 32: expected the base64 of 32 random bytes")
            case .failure:
                throw invalid(inlineDefinition, inline, "is not valid base64: expected the base64 of 32 random bytes")
            }
        }
        return nil
    }

    /// TAILTOWN_LOG_LEVEL; info by default.
    public func logLevel() throws -> LogLevel {
        let definition = SettingDefinition.logLevel
        guard let value = value(of: definition) else { return .info }
        guard let level = LogLevel(name: value.text) else {
            throw invalid(definition, value, "is not one of " + LogLevel.allCases.map(\.name).joined(separator: ", "))
        }
        return level
    }

    /// For the `config` command: one line per known setting (name, value or `********` where it may
    /// not be shown, origin), then one line per config file consulted. Values are not validated here.
    public func report() -> [String] {
        let width = SettingDefinition.all.map(\.name.count).max() ?? 0
        var lines = SettingDefinition.all.map { definition -> String in
            let name = definition.name + String(repeating: " ", count: width - definition.name.count)
            guard let value = value(of: definition) else { return "\(name)  (unset)" }
            return "\(name)  \(definition.shown(value.text) ?? "********")  (\(value.origin.description))"
        }
        for file in consultedFiles {
            let how = file.namedBy.map { "named by \(SettingDefinition.config.name), \($0.description)" } ?? "default"
            let path = SettingDefinition.config.shown(file.path) ?? "(path not shown)"
            lines.append("config file \(path) (\(how)): \(file.found ? "read" : "not present")")
        }
        return lines
    }
}

extension Compression {
    /// Names in the order the documentation gives them: the default first.
    static let namesInOrder = [Compression.lz4, .zstd, .none].map(\.rawValue)
}
