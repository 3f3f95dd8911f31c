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

    public init(level: LogLevel = .info) { self.level = level }

    public func debug(_ message: @autoclosure () -> String) { emit(.debug, message) }
    public func info(_ message: @autoclosure () -> String) { emit(.info, message) }
    public func warning(_ message: @autoclosure () -> String) { emit(.warning, message) }
    public func error(_ message: @autoclosure () -> String) { emit(.error, message) }

    private func emit(_ at: LogLevel, _ message: () -> String) {
        guard at >= level else { return }
        let line = "tailtown-pitr: \(at.name): \(message())\n"
        StandardError.write(line)
    }
}
