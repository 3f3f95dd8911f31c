import PITRSupport

/// Failures to start a detached helper (`DetachedHelper`): the command goes on without it.
public enum DetachedHelperError: PITRError, Equatable {
    case cannotStart(role: String, executable: String, code: Int32, offSetting: String)

    public var description: String {
        switch self {
        case .cannotStart(let role, let executable, let code, let offSetting):
            "cannot start the \(role) \(executable) (error \(code)); PostgreSQL's calls go on without it, or set \(offSetting)=0"
        }
    }
}
