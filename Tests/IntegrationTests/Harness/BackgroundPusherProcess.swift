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

    /// SIGKILL, then waits until the process is gone; returns whether a file was being stored at that moment
    /// (a marker `.<name>.<pid>.tmp` of it is left in `pushed`).
    static func kill9(_ pid: pid_t, pushed: String) throws -> Bool {
        kill(pid, SIGKILL)
        try waitUntil("background pusher \(pid) gone", seconds: 10) { kill(pid, 0) != 0 }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: pushed)) ?? []
        return entries.contains { $0.hasPrefix(".") && $0.hasSuffix(".\(pid).tmp") }
    }
}
