import PITRSupport

/// A window proof that authenticated but cannot be read: `verify --window` then proves everything again.
public enum WindowProofError: PITRError, Equatable {
    case unreadable(object: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let object, let reason):
            "window proof \(object) cannot be read: \(reason); verify --window proves every segment again and replaces it"
        }
    }
}
