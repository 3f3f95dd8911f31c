import PITRSupport

/// Credentials could not be had from the source the chain chose. Messages name the source (a role, a file, an
/// endpoint) and what to do; never a secret, a token or what a credential process printed.
public enum CredentialError: PITRError, Equatable {
    /// `source` (as `AWSCredentialSource.description` says it) failed: `problem` says how.
    case unavailable(source: String, problem: String)
    /// S3 refused the credentials again after they were fetched anew.
    case refusedAfterRefresh(source: String, request: String, code: String)

    public var description: String {
        switch self {
        case let .unavailable(source, problem):
            return "cannot get AWS credentials from \(source): \(problem)"
        case let .refusedAfterRefresh(source, request, code):
            return "\(request) was refused (\(code.sanitizedServerText(limit: 64))) with credentials from \(source), "
                + "and again with fresh ones: check the role's permissions and that its session was not revoked"
        }
    }
}
