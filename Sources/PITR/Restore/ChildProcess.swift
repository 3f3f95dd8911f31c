import PITRSupport

/// Runs a program to completion and captures its output: pg_ctl and pg_config for `restore --start`.
/// When restore runs as root and `user` is someone else, the program runs as that user through
/// runuser (PostgreSQL refuses to run as root).
///
/// The program gets `ChildProcess.minimalEnvironment` of `environment`, never the whole of it: what
/// pg_ctl starts (the postmaster, and every backend after it) would otherwise keep the repository's
/// credentials and key settings for its whole life, readable in /proc by its user.
package struct ChildProcess {
    let executable: String
    let arguments: [String]
    var user: FileOwner?
    var directory: String?
    /// The environment the minimal one is taken from; this process's by default.
    var environment: [String: String]

    package init(executable: String, arguments: [String], user: FileOwner? = nil, directory: String? = nil,
                 environment: [String: String] = ProcessEnvironment.current()) {
        self.executable = executable
        self.arguments = arguments
        self.user = user
        self.directory = directory
        self.environment = environment
    }

    /// What a PostgreSQL program needs of `environment`: the search path, the locale and the time
    /// zone (PATH, LANG, LANGUAGE, LC_*, TZ) and PGDATA. Nothing else: no AWS_* or TAILTOWN_*
    /// setting, no PG* connection setting (PGPASSWORD), no HOME from which to read files.
    static func minimalEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { name, _ in
            ["PATH", "LANG", "LANGUAGE", "TZ", "PGDATA"].contains(name) || name.hasPrefix("LC_")
        }
    }

    package struct Result {
        package let status: Int32
        /// Standard output and standard error, interleaved.
        package let output: String
    }

    /// The command as shown in messages.
    var shown: String { ([executable] + arguments).joined(separator: " ") }

    package func run() throws -> Result {
        var argv = [executable] + arguments
        // env -C: posix_spawn_file_actions_addchdir_np is not visible to Swift.
        if let directory { argv = ["/usr/bin/env", "-C", directory] + argv }
        if let user, user.needsHandOver {
            let candidates: [String] = ["/usr/sbin/runuser", "/sbin/runuser"]
            guard let runuser = candidates.first(where: { access($0, X_OK) == 0 }) else {
                throw RestoreError.cannotStart(command: shown, detail: "runuser is needed to run it as \(user.name) and was not found")
            }
            argv = [runuser, "-u", user.name, "--"] + argv
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw IOError("create a pipe for", executable) }
        // Close-on-exec, so that nothing the child starts (the postmaster) holds the pipe open.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var minimal = Self.minimalEnvironment(environment)
        if minimal["PATH"] == nil { minimal["PATH"] = "/usr/bin:/bin" }
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = minimal.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else {
            throw RestoreError.cannotStart(command: shown, detail: String(cString: strerror(spawned)))
        }
        var output: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = block.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
            if n > 0 { output += block[..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return Result(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal, output: String(decoding: output, as: UTF8.self))
    }
}
