import Foundation

/// A program started as `postgres` in the background that a test can kill with SIGKILL at a moment
/// of its choosing. `setpriv` and `env` exec in place, so the pid is the program's own: the
/// signal reaches it, not a wrapper that would leave it running.
final class KillableCommand {
    private let process = Process()

    /// Starts `executable arguments` in `directory`; its standard error goes to `errorLog`.
    init(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:], errorLog: String) throws {
        var env = ["PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C"]
        env.merge(environment) { _, new in new }
        var argv = ["-C", directory, "-i"] + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [executable] + arguments
        if Command.isRoot {
            argv = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", "/usr/bin/env"] + argv
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        }
        process.arguments = argv
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: errorLog, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorLog))
        try process.run()
    }

    /// The program's pid.
    var pid: pid_t { process.processIdentifier }

    var isRunning: Bool { process.isRunning }

    /// SIGKILL, then waits for the process to be gone; returns true if it was still running.
    @discardableResult
    func kill9() -> Bool {
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return wasRunning
    }

    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }
}
