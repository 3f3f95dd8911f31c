/// How `restore` lays out and configures the restored directory (the flags beyond the plan).
public struct RestoreOptions: Sendable {
    /// The data directory to create; absolute.
    public var targetDirectory: String
    /// `--tablespace-map OID=DIR`: where a tablespace goes instead of its location on the server.
    public var tablespaceMap: [UInt32: String] = [:]
    /// `--recovery-config FILE`; nil for `<parent of target>/<name of target>.tailtown-pitr.conf`.
    public var recoveryConfigFile: String?
    /// `--owner USER`; nil for the owner of the target's parent when not root, else postgres.
    public var owner: String?
    /// `--action`; nil for the target's default.
    public var action: RecoveryAction?
    /// `--standby`: standby.signal instead of recovery.signal.
    public var standby = false
    /// `--archive`: keep archive_mode as the backup has it.
    public var archive = false
    /// `--port`: written to postgresql.auto.conf.
    public var port: Int?
    /// Settings appended last to postgresql.auto.conf, after the recovery settings (the restore drill's private server).
    public var serverSettings: [(name: String, value: String)] = []
    /// The absolute path of this binary, for restore_command.
    public var executable: String

    public init(targetDirectory: String, executable: String) {
        self.targetDirectory = targetDirectory
        self.executable = executable
    }
}

/// What a finished restore wrote, for the summary.
public struct RestoreSummary: Sendable {
    public let targetDirectory: String
    public let recoveryConfigFile: String
    public let owner: FileOwner
    public let files: Int
    /// Bytes of the restored files.
    public let bytes: Int
    /// Download, decoding and extraction, including the final fsync.
    public let seconds: Double
}
