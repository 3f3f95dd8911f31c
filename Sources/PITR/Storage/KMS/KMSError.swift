import PITRSupport

/// A KMS request that failed. Messages name the operation, the endpoint and the KMS key, with
/// KMS's own error type and message; never a plaintext, a ciphertext or a credential.
public enum KMSError: PITRError, Equatable {
    /// KMS answered `status` with error `type` (e.g. "AccessDeniedException") and its `message`.
    case refused(request: String, status: Int, type: String, message: String)
    /// An answer without the field we need, or one that is not what was asked for.
    case malformedAnswer(request: String, problem: String)

    public var description: String {
        switch self {
        case let .refused(request, status, type, message):
            let said = message.isEmpty ? "" : ": \(message.sanitizedServerText(limit: 300))"
            let hint = KMSError.hint(type: type).map { " (\($0))" } ?? ""
            return "\(request.sanitizedServerText(limit: 600)) failed with HTTP \(status) \(type.sanitizedServerText(limit: 64))\(said)\(hint)"
        case let .malformedAnswer(request, problem):
            return "\(request.sanitizedServerText(limit: 600)): unexpected answer from KMS: \(problem)"
        }
    }

    /// Throttling and KMS's own failures, which another attempt may get past.
    var isTransient: Bool {
        guard case let .refused(_, status, type, _) = self else { return false }
        return [500, 502, 503, 504, 429].contains(status)
            || ["ThrottlingException", "KMSInternalException", "DependencyTimeoutException", "LimitExceededException"].contains(type)
    }

    static func hint(type: String) -> String? {
        switch type {
        case "NotFoundException": "check TAILTOWN_KMS_KEY_ID and the region (AWS_REGION)"
        case "AccessDeniedException": "the credentials lack kms:Encrypt or kms:Decrypt on the key: see docs/operations.md"
        case "DisabledException", "KMSInvalidStateException": "the KMS key is disabled or pending deletion"
        case "InvalidCiphertextException": "the wrapped key does not belong to this KMS key or was changed"
        case "IncorrectKeyException": "the wrapped key was made with another KMS key than TAILTOWN_KMS_KEY_ID"
        case "UnrecognizedClientException", "InvalidSignatureException":
            "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and AWS_REGION"
        case "ExpiredTokenException": "the session token has expired: refresh AWS_SESSION_TOKEN"
        default: nil
        }
    }
}
