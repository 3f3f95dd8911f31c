#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts the background prefetcher of a data directory unless one runs: a new process of our
/// own binary (`wal-prefetch`, a hidden subcommand) that leaves wal-fetch's session, with
/// standard input and output on /dev/null and standard error in the staging folder's log.
/// The prefetcher's flock on the staging folder's `lock` says whether one runs.
public struct PrefetcherLauncher {
    /// The program and global options to start it with, e.g. `[binary, "--config", file]`;
    /// `wal-prefetch <data directory>` is appended.
    public let command: [String]

    public init(command: [String]) {
        self.command = command
    }

    /// Starts a prefetcher for `dataDirectory` (absolute) unless the lock is held.
    func ensureRunning(dataDirectory: String, staging: StagingFolder) throws {
        if try PrefetcherLock.isHeld(staging.lockPath) { return }
        guard let executable = command.first else { return }
        let argv = command + ["wal-prefetch", dataDirectory]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, staging.logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, arguments, environ)
        guard result == 0 else { throw PrefetchError.cannotStart(executable: executable, code: result) }
    }

    /// This process's own executable (`/proc/self/exe`), to start the prefetcher from the same binary.
    public static func currentExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The staging folder's lock file: the running prefetcher holds an exclusive flock on it for
/// its whole life; the kernel drops it when the process ends, however it ends.
final class PrefetcherLock {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Takes the lock without waiting; nil when another process holds it.
    static func take(_ path: String) throws -> PrefetcherLock? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw IOError("open", path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return PrefetcherLock(descriptor: descriptor)
    }

    /// Takes the lock, trying again for a while: a wal-fetch that asks `isHeld` holds it for an
    /// instant, and a prefetcher starting in that instant must not give up.
    static func take(_ path: String, attempts: Int) throws -> PrefetcherLock? {
        for attempt in 1...max(1, attempts) {
            if let lock = try take(path) { return lock }
            if attempt < attempts { usleep(10_000) }
        }
        return nil
    }

    /// True when some process holds the lock (taking it for an instant otherwise).
    static func isHeld(_ path: String) throws -> Bool {
        try take(path) == nil
    }
}
