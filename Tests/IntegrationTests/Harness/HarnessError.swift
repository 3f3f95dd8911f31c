/// Why the integration harness could not do what a test asked; each message names the command, file or condition.
enum HarnessError: Error, CustomStringConvertible {
    case missingBinary(String)
    case missingPostgreSQL(String)
    case commandFailed(command: String, status: Int32, output: String)
    case commandTimedOut(command: String, seconds: Int)
    case timedOut(waitingFor: String, seconds: Int, detail: String)
    case archivingFailed(segment: String, serverLog: String)
    case system(String)

    var description: String {
        switch self {
        case .missingBinary(let path):
            return "tailtown-pitr binary not found at \(path): run `swift build` first or set TAILTOWN_BIN"
        case .missingPostgreSQL(let what):
            return "PostgreSQL is not installed (\(what)): run `make deps` as root"
        case .commandFailed(let command, let status, let output):
            return "`\(command)` exited \(status):\n\(output)"
        case .commandTimedOut(let command, let seconds):
            return "`\(command)` did not finish within \(seconds) s and was killed"
        case .timedOut(let condition, let seconds, let detail):
            return "timed out after \(seconds) s waiting for \(condition)\n\(detail)"
        case .archivingFailed(let segment, let log):
            return "archive_command failed (pg_stat_archiver.last_failed_wal = \(segment)); server log tail:\n\(log)"
        case .system(let message):
            return message
        }
    }
}
