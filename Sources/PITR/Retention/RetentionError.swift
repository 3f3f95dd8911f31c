import PITRSupport

/// Why `delete`, `backup-mark` or the retention policy failed; each message says what to fix.
public enum RetentionError: PITRError, Equatable {
    case badPolicy(setting: String, text: String, problem: String)
    case noSuchBackup(name: String, repository: String)

    public var description: String {
        switch self {
        case .badPolicy(let setting, let text, let problem):
            "\(setting)='\(text)' is not a retention policy: \(problem); write it like '\(RetentionPolicy.standardText)'"
        case .noSuchBackup(let name, let repository):
            "no backup named '\(name)' in \(repository): see backup-list for the names"
        }
    }
}
