import PITRSupport

/// Until when the current policy keeps an object if no new backup is taken: the moment from which it no longer
/// would, or never (permanent, the newest backup, what they need).
public enum RetentionExpiry: Comparable, Sendable, CustomStringConvertible {
    case at(UTCTime)
    case never

    public var description: String {
        switch self {
        case .at(let time): time.iso8601
        case .never: "never"
        }
    }
}
