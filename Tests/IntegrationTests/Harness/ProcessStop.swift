import Foundation

/// SIGSTOP to `pid`, then returns once /proc shows every thread of it stopped (or the process gone): from then on it
/// does nothing until SIGCONT, so a test can look at what it left and signal it at that very point.
func stopProcess(_ pid: pid_t) {
    kill(pid, SIGSTOP)
    while !isStopped(pid) { usleep(100) }
}

/// Whether every thread of `pid` is in state T, or the process is gone.
private func isStopped(_ pid: pid_t) -> Bool {
    guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return true }
    return threads.allSatisfy { thread in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("T")
    }
}
