/// The one way a program is run to completion: spawned without a shell (posix_spawnp: a name without a slash is
/// looked up in this process's PATH), given exactly `environment`, standard input from /dev/null, its standard
/// output captured (with its standard error too, or the latter left on ours), then waited for.
package enum SpawnedProcess {
    package struct Result {
        /// The exit status, or 128 + the signal that ended it.
        package let status: Int32
        package let output: [UInt8]
    }

    /// Runs `argv` (the program, then its arguments). With `mergeStandardError` its standard error joins the captured
    /// output; without, it goes to this process's. At most `limit` bytes of output are kept (the rest is read and
    /// dropped). Throws `IOError` when the program cannot be started.
    package static func run(_ argv: [String], environment: [String: String], mergeStandardError: Bool, limit: Int = 16 << 20) throws -> Result {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw IOError("create a pipe for", argv[0]) }
        // Close-on-exec, so that nothing the child starts (a postmaster) holds the pipe open.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        if mergeStandardError { posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2) }
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else { throw IOError("start", argv[0], code: spawned) }
        var output: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = block.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
            if n > 0 {
                if output.count < limit { output += block[..<min(n, limit - output.count)] }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            break
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return Result(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal, output: output)
    }
}
