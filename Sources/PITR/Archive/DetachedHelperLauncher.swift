import PITRSupport

/// Starts a detached helper (`DetachedHelper`) of a data directory unless one runs: a new
/// process of our own binary running the helper's hidden subcommand, with standard input and
/// output on /dev/null and standard error in the helper's log. The helper leaves the caller's
/// session itself (`detachFromCaller`).
public struct DetachedHelperLauncher {
    /// The program and global options to start it with, e.g. `[binary, "--config", file]`;
    /// `<subcommand> <data directory>` is appended.
    public let command: [String]

    public init(command: [String]) {
        self.command = command
    }

    /// Starts `helper` for `dataDirectory` unless its lock is held. The helper gets the data
    /// directory as an absolute path: it leaves the caller's working directory behind.
    func ensureRunning(_ helper: DetachedHelper, dataDirectory: String) throws {
        try FileSystem.makeDirectories(helper.folder)
        if try HelperLock.isHeld(helper.lockPath) { return }
        guard let executable = command.first else { return }
        let argv = command + [helper.subcommand, ProcessPaths.absolute(dataDirectory)]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, helper.logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, arguments, environ)
        guard result == 0 else {
            throw DetachedHelperError.cannotStart(role: helper.role, executable: executable, code: result, offSetting: helper.offSetting)
        }
    }

    /// Called first by a helper: out of the starting command's session, so that the signals
    /// PostgreSQL sends its archive_command or restore_command never reach it; without the
    /// descriptors PostgreSQL left open to that command (say, the log collector's pipe, whose
    /// last writer would hold up the collector's exit), which are not the helper's to keep.
    public static func detachFromCaller() {
        _ = setsid()
        closefrom(3)
    }
}
