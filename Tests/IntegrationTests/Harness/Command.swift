import Foundation

/// What a finished command left behind.
struct CommandResult {
    let command: String
    let status: Int32
    let stdout: String
    let stderr: String

    /// Throws `commandFailed` unless the command exited 0; returns stdout otherwise.
    @discardableResult
    func check() throws -> String {
        guard status == 0 else {
            throw HarnessError.commandFailed(command: command, status: status, output: stdout + stderr)
        }
        return stdout
    }
}

/// Runs programs as the `postgres` account (through `runuser` when the tests run as root, directly otherwise)
/// with a clean environment, so that neither the caller's TAILTOWN_* nor PG* variables leak into a test.
///
/// Spawns with posix_spawn and reaps with waitpid rather than Foundation's `Process`: a server started by
/// `pg_ctl start` outlives the command, and must inherit neither our pipes nor our descriptors.
enum Command {
    static let isRoot = getuid() == 0

    /// Runs `executable arguments` in `directory` and waits at most `timeout` seconds (then kills it).
    static func runAsPostgres(
        _ executable: String, _ arguments: [String],
        in directory: String? = nil, environment: [String: String] = [:], timeout: Int = 120
    ) throws -> CommandResult {
        var env = ["PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C"]
        env.merge(environment) { _, new in new }
        var argv = ["/usr/bin/env"]
        if let directory { argv += ["-C", directory] }
        argv += ["-i"] + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [executable] + arguments
        if isRoot { argv = ["/usr/sbin/runuser", "-u", "postgres", "--"] + argv }
        return try run(argv, timeout: timeout, shown: ([executable] + arguments).joined(separator: " "))
    }

    /// Runs `executable arguments` as the user running the tests, with the tests' environment.
    static func run(_ executable: String, _ arguments: [String], timeout: Int = 120) throws -> CommandResult {
        try run([executable] + arguments, timeout: timeout, shown: ([executable] + arguments).joined(separator: " "))
    }

    private static func run(_ argv: [String], timeout: Int, shown: String) throws -> CommandResult {
        var template = Array("/tmp/tailtown-it-out-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError.system("cannot create a folder under /tmp: errno \(errno)") }
        let scratch = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }

        closeOnExec()
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw HarnessError.system("cannot start \(argv[0]): errno \(spawned)") }

        let deadline = Date().addingTimeInterval(TimeInterval(timeout))
        var status: Int32 = 0
        var pause: useconds_t = 1_000
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw HarnessError.commandTimedOut(command: shown, seconds: timeout)
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        let signal = status & 0x7f
        return CommandResult(
            command: shown, status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Marks every descriptor above stderr close-on-exec, so that no child (nor a server it starts) inherits them:
    /// a descriptor held by a server would keep, say, the test runner's event stream open after the tests end.
    private static func closeOnExec() {
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for case let fd? in descriptors.map({ Int32($0) }) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
