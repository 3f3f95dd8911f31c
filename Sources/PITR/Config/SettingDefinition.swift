/// One known setting. Adding a setting is one entry in `SettingDefinition.all`,
/// plus a typed accessor on `Settings` for the commands that use it.
public struct SettingDefinition: Sendable {
    /// The name in the environment and in config files.
    public let name: String
    /// Secret values are never printed: masked in the report, omitted from errors.
    public let isSecret: Bool
    /// The command-line flag that overrides it, or nil when it has none
    /// (an inline key on the command line would show in `ps`).
    public let flag: String?
    /// The effective value when no source sets it, or nil when there is none.
    public let defaultValue: String?
    public let help: String

    public init(_ name: String, secret: Bool = false, flag: String? = nil, default defaultValue: String? = nil, help: String) {
        self.name = name
        self.isSecret = secret
        self.flag = flag
        self.defaultValue = defaultValue
        self.help = help
    }
}

extension SettingDefinition {
    public static let config = SettingDefinition(
        "TAILTOWN_CONFIG", flag: "--config",
        help: "config file of KEY=value lines, read before /etc/tailtown-pitr.conf")
    public static let repository = SettingDefinition(
        "TAILTOWN_REPO", flag: "--repo",
        help: "repository URL: file:///absolute/path or s3://bucket[/prefix]")
    public static let compression = SettingDefinition(
        "TAILTOWN_COMPRESSION", flag: "--compression", default: "lz4",
        help: "compression of new objects: lz4, zstd or none")
    public static let compressionLevel = SettingDefinition(
        "TAILTOWN_COMPRESSION_LEVEL", flag: "--compression-level",
        help: "lz4 1...12, zstd -5...-1 or 1...19; ignored with none; unset means the compressor's default")
    public static let encryptionKeyFile = SettingDefinition(
        "TAILTOWN_ENCRYPTION_KEY_FILE", flag: "--encryption-key-file",
        help: "file holding the base64 of a 32-byte key (not readable by others)")
    public static let encryptionKey = SettingDefinition(
        "TAILTOWN_ENCRYPTION_KEY", secret: true,
        help: "the base64 of a 32-byte key, inline; exclusive with TAILTOWN_ENCRYPTION_KEY_FILE")
    public static let logLevel = SettingDefinition(
        "TAILTOWN_LOG_LEVEL", flag: "--log-level", default: "info",
        help: "debug, info, warning or error")

    /// Every known setting, in report order.
    public static let all: [SettingDefinition] = [
        config, repository, compression, compressionLevel, encryptionKeyFile, encryptionKey, logLevel,
    ]

    /// Names under these prefixes are ours: an unknown one in a config file is an error
    /// (a typo must not silently disable a setting), in the environment a warning.
    public static let reservedPrefixes = ["TAILTOWN_"]

    public static func named(_ name: String) -> SettingDefinition? {
        all.first { $0.name == name }
    }

    /// True when `name` falls under a reserved prefix, compared ignoring case so
    /// `tailtown_repo` is caught as a typo rather than ignored as someone else's key.
    static func isReserved(_ name: String) -> Bool {
        let upper = name.uppercased()
        return reservedPrefixes.contains { upper.hasPrefix($0) }
    }

    /// The known name closest to `name` (edit distance at most 2, ignoring case), for "did you mean".
    static func suggestion(for name: String) -> String? {
        let upper = name.uppercased()
        var best: (name: String, distance: Int)?
        for definition in all {
            let distance = EditDistance.between(upper, definition.name)
            if distance <= 2, distance < (best?.distance ?? Int.max) {
                best = (definition.name, distance)
            }
        }
        return best?.name
    }
}
