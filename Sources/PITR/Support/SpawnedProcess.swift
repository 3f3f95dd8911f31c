/// The one way a program is run: spawned without a shell (posix_spawnp: a name without a slash is looked up in this
/// process's PATH), given exactly `environment`, its standard input from /dev/null or a pipe this process writes, its
/// standard output a pipe this process reads (with its standard error too, or the latter left on ours) or /dev/null.
/// `run` runs one to completion; `start` hands back the running program, whose output is a `ByteSource`.
package final class SpawnedProcess: ByteSource, ByteSink {
    package struct Result {
        /// The exit status, or 128 + the signal that ended it.
        package let status: Int32
        package let output: [UInt8]
    }

    package enum Output {
        /// A pipe `read` reads; with `mergeStandardError`, standard error joins it.
        case pipe(mergeStandardError: Bool)
        case discarded
    }

    package let pid: pid_t
    private let program: String
    private var output: SystemFile?
    private var input: SystemFile?
    private var status: Int32?

    private init(pid: pid_t, program: String, output: SystemFile?, input: SystemFile?) {
        self.pid = pid
        self.program = program
        self.output = output
        self.input = input
    }

    deinit {
        if status == nil { _ = kill(pid, SIGKILL); _ = wait() }
    }

    /// Runs `argv` (the program, then its arguments) to completion. With `mergeStandardError` its standard error joins
    /// the captured output; without, it goes to this process's. At most `limit` bytes of output are kept (the rest is
    /// read and dropped). Throws `IOError` when the program cannot be started.
    package static func run(_ argv: [String], environment: [String: String], mergeStandardError: Bool, limit: Int = 16 << 20) throws -> Result {
        let process = try start(argv, environment: environment, output: .pipe(mergeStandardError: mergeStandardError))
        var output: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try block.withUnsafeMutableBytes { try process.read(into: $0) }
            if n == 0 { break }
            if output.count < limit { output += block[..<min(n, limit - output.count)] }
        }
        return Result(status: process.wait(), output: output)
    }

    /// Starts `argv`; with `input`, its standard input is a pipe `write` fills (and `closeInput` ends). A program
    /// started is waited for by `wait`, or killed and waited for when released unwaited.
    package static func start(_ argv: [String], environment: [String: String], input: Bool = false, output: Output) throws -> SpawnedProcess {
        // A reader that exits early must make `write` fail (EPIPE), not end this process; the child gets the default back.
        if input { signal(SIGPIPE, SIG_IGN) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        // Close-on-exec on both ends, so that nothing the child starts (a postmaster) holds a pipe open; dup2 clears it
        // on the child's copy.
        var inputEnds: [Int32] = [-1, -1], outputEnds: [Int32] = [-1, -1]
        if input {
            guard makePipe(&inputEnds) else { throw IOError("create a pipe for", argv[0]) }
            posix_spawn_file_actions_adddup2(&actions, inputEnds[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        switch output {
        case .pipe(let merge):
            guard makePipe(&outputEnds) else {
                inputEnds.filter { $0 >= 0 }.forEach { _ = close($0) }
                throw IOError("create a pipe for", argv[0])
            }
            posix_spawn_file_actions_adddup2(&actions, outputEnds[1], 1)
            if merge { posix_spawn_file_actions_adddup2(&actions, outputEnds[1], 2) }
        case .discarded:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        for end in [inputEnds[0], outputEnds[1]] where end >= 0 { close(end) }
        let outputFile = outputEnds[0] >= 0 ? SystemFile.adopting(outputEnds[0], path: "the output of \(argv[0])") : nil
        let inputFile = inputEnds[1] >= 0 ? SystemFile.adopting(inputEnds[1], path: "the input of \(argv[0])") : nil
        guard spawned == 0 else { throw IOError("start", argv[0], code: spawned) }
        return SpawnedProcess(pid: pid, program: argv[0], output: outputFile, input: inputFile)
    }

    /// A pipe with close-on-exec on both ends.
    private static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Reads the program's output; 0 at its end.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let output else { return 0 }
        return try output.read(into: buffer)
    }

    /// Writes to the program's standard input (throws `IOError` with EPIPE once it stopped reading).
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let input else { throw IOError("write to", program, code: EPIPE) }
        try input.write(bytes)
    }

    /// Ends the program's standard input.
    package func closeInput() { input = nil }

    /// Closes the pipes and waits for the program; returns its exit status, or 128 + the signal that ended it.
    @discardableResult
    package func wait() -> Int32 {
        if let status { return status }
        input = nil
        output = nil
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let signal = raw & 0x7f
        let result = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        status = result
        return result
    }
}
