import PITRRepository
import PITRRetention
import PITRSupport
import PITRWAL

/// `verify --restore-test --random-target`: a moment drawn at random inside the recoverable window `status`
/// shows (from the stop of the oldest backup anchoring it to the newest commit), so that drills over time
/// prove the whole window rather than its end.
public enum RandomDrillTarget {
    /// Throws `DrillTargetError.noWindow` when no backup anchors a window.
    public static func pick(repository: Repository, policy: RetentionPolicy, now: UTCTime = .now()) throws -> PostgresTimestamp {
        let status = try RepositoryStatus(inventory: try RepositoryInventory.load(repository: repository), policy: policy, now: now)
        guard let window = status.window, window.end.secondsSinceEpoch > window.start.secondsSinceEpoch else {
            throw DrillTargetError.noWindow(repository: repository.name)
        }
        // A whole second strictly after the start (a backup's stop) and at most the end.
        let seconds = Int64.random(in: (window.start.secondsSinceEpoch + 1)...window.end.secondsSinceEpoch)
        return PostgresTimestamp(unixSeconds: seconds)
    }
}

public enum DrillTargetError: PITRError {
    case noWindow(repository: String)

    public var description: String {
        switch self {
        case .noWindow(let repository):
            "repository \(repository) has no recoverable window of a second or more to draw a random target from (see status): take a backup-push and archive WAL first"
        }
    }
}
