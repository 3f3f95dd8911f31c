import PITRSupport

/// Why `verify --restore-test` could not run or did not pass; each message says what to look at.
public enum DrillError: PITRError, Equatable {
    case badCheck(text: String, problem: String)
    case noScratch(path: String, reason: String)
    case noDump
    case stepFailed(command: String, detail: String)

    public var description: String {
        switch self {
        case .badCheck(let text, let problem):
            "--check-sql '\(text)': \(problem)"
        case .noScratch(let path, let reason):
            "cannot create a scratch directory in \(path): \(reason); choose another with --scratch-dir"
        case .noDump:
            "the repository holds no dump to load (dump-push makes them)"
        case .stepFailed(let command, let detail):
            "\(command) failed: \(detail)"
        }
    }
}
