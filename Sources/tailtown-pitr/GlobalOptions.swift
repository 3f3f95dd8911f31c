import ArgumentParser
import PITRConfig
import PITRPipeline
import PITRRepository

/// Options every subcommand accepts, before or after its name. Each one overrides the setting of the same meaning.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("Config file of KEY=value lines (TAILTOWN_CONFIG).", valueName: "file"))
    var configFile: String?

    @Option(help: ArgumentHelp("Repository URL, file:///path (TAILTOWN_REPO).", valueName: "url"))
    var repo: String?

    @Option(help: ArgumentHelp("lz4, zstd or none (TAILTOWN_COMPRESSION).", valueName: "kind"))
    var compression: String?

    @Option(help: ArgumentHelp("Compression level (TAILTOWN_COMPRESSION_LEVEL).", valueName: "n"))
    var compressionLevel: String?

    @Option(help: ArgumentHelp("File holding the base64 encryption key (TAILTOWN_ENCRYPTION_KEY_FILE).", valueName: "file"))
    var encryptionKeyFile: String?

    @Option(help: ArgumentHelp("debug, info, warning or error (TAILTOWN_LOG_LEVEL).", valueName: "level"))
    var logLevel: String?

    /// The flags given, keyed by the setting they override.
    var flags: [String: String] {
        let pairs: [(SettingDefinition, String?)] = [
            (.config, configFile),
            (.repository, repo),
            (.compression, compression),
            (.compressionLevel, compressionLevel),
            (.encryptionKeyFile, encryptionKeyFile),
            (.logLevel, logLevel),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { setting, value in value.map { (setting.name, $0) } })
    }
}
