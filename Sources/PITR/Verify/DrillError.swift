import PITRSupport

/// Why `verify --restore-test` could not run or did not pass; each message says what to look at.
public enum DrillError: PITRError, Equatable {
    case badCheck(text: String, problem: String)
    case noScratch(path: String, reason: String)
    case noDump
    case stepFailed(command: String, detail: String)
    /// What the drill would read is archived, and no backup can be drilled without a thaw.
    case archived(what: String)
    /// `--thaw` asked for the thaw; it is under way.
    case thawPending(what: String, progress: String)

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
        case .archived(let what):
            "\(what), not thawed, and every other backup needs a thaw too: run verify --restore-test --thaw expedited|standard|bulk, "
                + "then again once thawed (docs/recovery.md, \"Restoring from archived backups\")"
        case .thawPending(let what, let progress):
            "\(what): \(progress); run the drill again once thawed (the same --thaw requests nothing twice)"
        }
    }
}
