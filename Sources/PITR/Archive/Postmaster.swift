import PITRSupport

/// The postmaster running on a data directory, as `postmaster.pid` names it: its pid (first line)
/// and start time (third line). A restart or a crash and start gives another pair.
struct Postmaster: Equatable {
    let pid: pid_t
    let startTime: String

    /// The postmaster `dataDirectory/postmaster.pid` names; nil when there is none (no server
    /// runs, or it was stopped cleanly) or the file is unreadable.
    static func current(dataDirectory: String) -> Postmaster? {
        guard let bytes = try? FileSystem.readFile(dataDirectory + "/postmaster.pid") else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, let pid = pid_t(lines[0]), pid > 0, !lines[2].isEmpty else { return nil }
        return Postmaster(pid: pid, startTime: String(lines[2]))
    }

    /// True while this postmaster still runs on `dataDirectory`: its pid is alive and
    /// `postmaster.pid` still names it (a crash leaves the file with a dead pid behind).
    func isRunning(on dataDirectory: String) -> Bool {
        LiveProcess.isRunning(pid) && Postmaster.current(dataDirectory: dataDirectory) == self
    }
}
