public enum LogLevel: Int, Comparable, CaseIterable, Sendable {
    case debug, info, warning, error

    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warning", "warn": self = .warning
        case "error": self = .error
        default: return nil
        }
    }

    public var name: String { ["debug", "info", "warning", "error"][rawValue] }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// One-line log messages on standard error, which PostgreSQL copies into its own log
/// when it runs archive_command and restore_command. Never pass a secret to it.
public struct Log: Sendable {
    public var level: LogLevel
    /// What `warning(once:about:_:)` warned of, shared by every copy of this log (one command's connections and threads).
    private let warned = WarnedSubjects()

    public init(level: LogLevel = .info) { self.level = level }

    public func debug(_ message: @autoclosure () -> String) { emit(.debug, message) }
    public func info(_ message: @autoclosure () -> String) { emit(.info, message) }
    public func warning(_ message: @autoclosure () -> String) { emit(.warning, message) }
    public func error(_ message: @autoclosure () -> String) { emit(.error, message) }

    /// A warning about `subject` (an object's description) under `topic`, said the first time only, so that a command
    /// meeting the same object again (listed, then read, on several connections) does not repeat it.
    public func warning(once subject: String, about topic: String, _ message: @autoclosure () -> String) {
        if warned.insert(subject, topic) { warning(message()) }
    }

    /// The subjects warned of under `topic` so far, in the order first warned of.
    public func subjects(warnedAbout topic: String) -> [String] { warned.subjects(topic) }

    private func emit(_ at: LogLevel, _ message: () -> String) {
        guard at >= level else { return }
        let line = "tailtown-pitr: \(at.name): \(message())\n"
        StandardError.write(line)
    }
}

/// The subjects a `Log` and its copies warned of, by topic, in order.
private final class WarnedSubjects: @unchecked Sendable {
    private let lock = ConditionLock()
    /// Touched only inside `lock.locked`.
    private var byTopic: [String: (order: [String], seen: Set<String>)] = [:]

    /// False when `subject` was warned of under `topic` already.
    func insert(_ subject: String, _ topic: String) -> Bool {
        lock.locked {
            guard byTopic[topic]?.seen.contains(subject) != true else { return false }
            byTopic[topic, default: ([], [])].order.append(subject)
            byTopic[topic]?.seen.insert(subject)
            return true
        }
    }

    func subjects(_ topic: String) -> [String] { lock.locked { byTopic[topic]?.order ?? [] } }
}
