import PITRWAL

/// What restore appends to the restored directory's `postgresql.auto.conf` (read last, so it wins
/// over the backup's own settings): the restore_command, the recovery target, the timeline, the
/// action, and `archive_mode = off` unless the copy is to archive. Never a secret: the settings
/// restore_command needs live in the recovery config file outside the data directory.
public struct RecoverySettings: Equatable, Sendable {
    public var target: RecoveryTarget
    public var exclusive: Bool
    public var timeline: TimelineID
    public var action: RecoveryAction
    /// Keep the backup's archive_mode (`--archive`); off by default, so a copy that promotes never
    /// pushes a new timeline into the production repository.
    public var archive: Bool
    /// Absolute paths: restore_command runs in the data directory.
    public var executable: String
    public var configFile: String
    /// `--port`, written when given.
    public var port: Int?

    public init(target: RecoveryTarget, exclusive: Bool, timeline: TimelineID, action: RecoveryAction,
                archive: Bool, executable: String, configFile: String, port: Int?) {
        self.target = target
        self.exclusive = exclusive
        self.timeline = timeline
        self.action = action
        self.archive = archive
        self.executable = executable
        self.configFile = configFile
        self.port = port
    }

    /// The shell command PostgreSQL runs for each WAL file; `%` in a path is doubled, since
    /// PostgreSQL replaces %f, %p and %% in it. `exec`: PostgreSQL runs it through `sh -c`, and
    /// Debian's sh would otherwise fork once more and wait (about 0.4 ms of every segment's replay).
    public var restoreCommand: String {
        let quote = { (path: String) in RecoverySettings.shellQuoted(path).escaping(["%": "%%"]) }
        return "exec \(quote(executable)) --config \(quote(configFile)) wal-fetch %f %p"
    }

    /// (name, value) pairs in the order written.
    public var settings: [(name: String, value: String)] {
        var settings: [(String, String)] = [("restore_command", restoreCommand)]
        switch target {
        case .latest: break
        case .immediate: settings.append(("recovery_target", "immediate"))
        case .time(let time): settings.append(("recovery_target_time", time.description))
        case .lsn(let lsn): settings.append(("recovery_target_lsn", lsn.description))
        case .xid(let xid): settings.append(("recovery_target_xid", String(xid)))
        case .name(let name): settings.append(("recovery_target_name", name))
        }
        if exclusive, target != .latest, target != .immediate { settings.append(("recovery_target_inclusive", "off")) }
        settings.append(("recovery_target_timeline", String(timeline.rawValue)))
        settings.append(("recovery_target_action", action.rawValue))
        if !archive { settings.append(("archive_mode", "off")) }
        if let port { settings.append(("port", String(port))) }
        return settings
    }

    /// The lines appended to postgresql.auto.conf, with a comment saying who wrote them.
    public var text: String {
        "# Written by tailtown-pitr restore; later lines win over earlier ones.\n"
            + settings.map { "\($0.name) = \(RecoverySettings.quoted($0.value))\n" }.joined()
    }

    /// A value quoted for PostgreSQL's configuration parser: inside single quotes, a quote is
    /// doubled and a backslash escaped (the parser reads `\` as the start of an escape).
    public static func quoted(_ value: String) -> String {
        "'" + value.escaping(["'": "''", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"]) + "'"
    }

    /// `path` as one word for /bin/sh: as is when made of safe characters, else in single quotes.
    public static func shellQuoted(_ path: String) -> String {
        let safe = path.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "/._-+,:@%".unicodeScalars.contains($0)
        }
        if safe && !path.isEmpty { return path }
        return "'" + path.escaping(["'": "'\\''"]) + "'"
    }
}
