import PITRPipeline
import PITRRepository
import PITRSupport

/// `backups/<name>/running`: which process is taking a backup, so that the next `backup-push` on the same machine can
/// remove what one killed with SIGKILL left (its pieces, never listed: no descriptor). Sealed like every metadata
/// object; it names the machine's boot (`/proc/sys/kernel/random/boot_id`) and the process with its start time, so a
/// reused process id, a reboot or another machine never passes for the dead writer. `dump-push` takes the same lease in
/// `dumps/<name>/running`. Leftovers of another machine are
/// `delete`'s, a day later (docs/operations.md, "Retention").
package struct BackupLease {
    package static let fileName = "running"
    let boot: String
    package let pid: Int32
    /// The process's start, in clock ticks since boot (`/proc/<pid>/stat`, field 22).
    let started: UInt64

    static func key(backup: String) -> String { BackupDescriptor.objectKey(backup: backup, object: fileName) }

    static func identity(repository: String, backup: String) -> ObjectIdentity {
        ObjectIdentity(["repository": repository, "backup": backup, "file": fileName])
    }

    /// This process, or nil when /proc cannot tell (then no lease is written and nothing is cleaned).
    package static func current() -> BackupLease? {
        let pid = getpid()
        guard let boot = bootID(), let started = startTime(of: pid) else { return nil }
        return BackupLease(boot: boot, pid: pid, started: started)
    }

    package var text: MetadataText {
        MetadataText([("format", "1"), ("boot", boot), ("pid", String(pid)), ("started", String(started))])
    }

    init(boot: String, pid: Int32, started: UInt64) {
        self.boot = boot
        self.pid = pid
        self.started = started
    }

    package init?(_ text: MetadataText) {
        guard text["format"] == "1", let boot = text["boot"], let pid = text["pid"].flatMap({ Int32($0) }),
              let started = text["started"].flatMap({ UInt64($0) }) else { return nil }
        self.init(boot: boot, pid: pid, started: started)
    }

    /// True when the writer ran on this machine since its last boot and is gone.
    package var writerIsGone: Bool {
        guard boot == Self.bootID() else { return false }
        return Self.startTime(of: pid) != started
    }

    private static func bootID() -> String? {
        guard let bytes = try? FileSystem.readFile("/proc/sys/kernel/random/boot_id") else { return nil }
        let id = String(decoding: bytes.filter { $0 > 0x20 }, as: UTF8.self)
        return id.isEmpty ? nil : id
    }

    /// Field 22 of `/proc/<pid>/stat`; nil when there is no such process.
    private static func startTime(of pid: Int32) -> UInt64? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/stat") else { return nil }
        let stat = String(decoding: bytes, as: UTF8.self)
        guard let end = stat.lastIndex(of: ")") else { return nil }
        // After the command name (in parentheses, which may hold spaces): field 3 onwards.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
