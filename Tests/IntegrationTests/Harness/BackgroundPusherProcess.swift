import Foundation

/// The background pusher (`tailtown-pitr wal-push-ahead <data directory>`) that wal-push started for a
/// cluster, found by its command line in /proc.
enum BackgroundPusherProcess {
    /// The pid of the running pusher of `dataDirectory`, if any.
    static func pid(dataDirectory: String) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let arguments = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if let index = arguments.firstIndex(of: "wal-push-ahead"), arguments.dropFirst(index + 1).first == dataDirectory {
                return pid
            }
        }
        return nil
    }

    /// Waits until the pusher of `dataDirectory` is storing a file (its marker `.<name>.<pid>.<random>.tmp` is in `pushed`) and
    /// stops it there with SIGSTOP, so that a signal sent next lands while it stores that file. Returns its pid; nil when
    /// it ended, or none came, within `seconds`, without being seen storing a file.
    static func stopWhileStoring(dataDirectory: String, pushed: String, seconds: Double = 30) -> pid_t? {
        let deadline = Date().addingTimeInterval(seconds)
        var seen: pid_t?
        while Date() < deadline {
            guard let pid = pid(dataDirectory: dataDirectory) else {
                if seen != nil { return nil }
                usleep(1_000)
                continue
            }
            seen = pid
            if isStoring(pid, pushed: pushed) {
                stopProcess(pid)
                if isStoring(pid, pushed: pushed) { return pid }
                kill(pid, SIGCONT)
            }
            usleep(1_000)
        }
        return nil
    }

    private static func isStoring(_ pid: pid_t, pushed: String) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: pushed)) ?? []
        // `.<name>.<pid>.<random>.tmp`
        return entries.contains { entry in
            let parts = entry.split(separator: ".")
            return entry.hasPrefix(".") && entry.hasSuffix(".tmp") && parts.count >= 4 && parts[parts.count - 3] == "\(pid)"
        }
    }

    /// SIGKILL, then waits until the process is gone; returns whether a file was being stored at that moment
    /// (a marker `.<name>.<pid>.<random>.tmp` of it is left in `pushed`).
    static func kill9(_ pid: pid_t, pushed: String) throws -> Bool {
        kill(pid, SIGKILL)
        try waitUntil("background pusher \(pid) gone", seconds: 10) { kill(pid, 0) != 0 }
        return isStoring(pid, pushed: pushed)
    }
}
