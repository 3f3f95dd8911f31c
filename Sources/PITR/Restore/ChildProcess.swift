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
    package var shown: String { ([executable] + arguments).joined(separator: " ") }

    package func run() throws -> Result {
        do {
            let result = try SpawnedProcess.run(try argv(), environment: childEnvironment, mergeStandardError: true)
            return Result(status: result.status, output: String(decoding: result.output, as: UTF8.self))
        } catch let error as IOError {
            throw RestoreError.cannotStart(command: shown, detail: String(cString: strerror(error.code)))
        }
    }

    /// Starts the program with its standard input a pipe to write (`SpawnedProcess.write`), its output discarded and its
    /// errors on ours: `pg_restore` fed a dump by the restore drill.
    package func startFed() throws -> SpawnedProcess {
        do {
            return try SpawnedProcess.start(try argv(), environment: childEnvironment, input: true, output: .discarded)
        } catch let error as IOError {
            throw RestoreError.cannotStart(command: shown, detail: String(cString: strerror(error.code)))
        }
    }

    private func argv() throws -> [String] {
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
        return argv
    }

    private var childEnvironment: [String: String] {
        var minimal = Self.minimalEnvironment(environment)
        if minimal["PATH"] == nil { minimal["PATH"] = "/usr/bin:/bin" }
        return minimal
    }
}
