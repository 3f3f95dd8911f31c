/// Where a setting's effective value came from.
public enum SettingOrigin: Equatable, Sendable {
    /// A command-line flag, spelled as typed (`--repo`).
    case flag(String)
    case environment
    case file(path: String, line: Int)
    /// The setting's built-in default.
    case defaultValue

    /// As shown by the `config` report: `flag --repo`, `environment`, `file /path line N`, `default`.
    public var description: String {
        switch self {
        case .flag(let flag): "flag \(flag)"
        case .environment: "environment"
        case .file(let path, let line): "file \(path) line \(line)"
        case .defaultValue: "default"
        }
    }

    /// As used inside error messages: `from flag --repo`, `from environment`, `from /path line N`, `default`.
    public var fromDescription: String {
        switch self {
        case .flag(let flag): "from flag \(flag)"
        case .environment: "from environment"
        case .file(let path, let line): "from \(path) line \(line)"
        case .defaultValue: "default"
        }
    }
}

/// A setting's raw text and where it came from; interpreting it is left to `Settings`' typed accessors.
public struct SettingValue: Equatable, Sendable {
    public let text: String
    public let origin: SettingOrigin

    public init(text: String, origin: SettingOrigin) {
        self.text = text
        self.origin = origin
    }
}
