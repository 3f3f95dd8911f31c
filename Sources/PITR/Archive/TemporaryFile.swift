import PITRSupport

/// A hidden temporary file of ours in a folder under `pg_wal`, `.<name>.<pid>.<random>.tmp`
/// (`FileSystem.temporaryName`; `.<name>.<pid>.tmp` from earlier versions): the work of process
/// `pid` on `name` while that process lives, and a leftover of a killed process once it is gone.
struct TemporaryFile: Equatable {
    /// The name the temporary file is for.
    let name: String
    /// The process writing it.
    let pid: pid_t

    /// The temporary file a folder entry names; nil for any other entry.
    init?(entry: String) {
        guard entry.hasPrefix("."), entry.hasSuffix(".tmp") else { return nil }
        var parts = entry.dropFirst().dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
        if parts.count >= 3, let last = parts.last, last.count == 16, last.allSatisfy(\.isHexDigit) { parts.removeLast() }
        guard parts.count >= 2, let pid = pid_t(parts.removeLast()), pid > 0 else { return nil }
        self.name = parts.joined(separator: ".")
        self.pid = pid
    }

    /// True while the process that writes it runs (this process included).
    var isLive: Bool { LiveProcess.isRunning(pid) }
}

extension TemporaryFile {
    /// Removes the temporary files for `name` in `folder` whose process is gone (a killed
    /// download's partial file); those of live processes are theirs.
    static func removeAbandoned(for name: String, in folder: String) throws {
        for entry in try FileSystem.list(folder) {
            if let temporary = TemporaryFile(entry: entry), temporary.name == name, !temporary.isLive {
                try FileSystem.remove(folder + "/" + entry)
            }
        }
    }
}

/// Whether a process runs, by its pid.
enum LiveProcess {
    /// True when `pid` names a running process. A process of another user counts: `kill` then
    /// answers EPERM, not ESRCH (a wal-push run by hand as root next to PostgreSQL's calls).
    static func isRunning(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
