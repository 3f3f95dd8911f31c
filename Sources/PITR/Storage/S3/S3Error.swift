import PITRSupport

/// A request S3 refused, or an answer that makes no sense. Messages name the object and
/// carry S3's own error code and message plus a hint; never a credential.
public enum S3Error: PITRError, Equatable {
    /// S3 answered `status` with error `code` (e.g. "AccessDenied") and its `message`.
    case refused(request: String, status: Int, code: String, message: String)
    /// A GET or HEAD answered 403, and a listing could not tell a missing object from a forbidden one.
    case missingOrForbidden(object: String)
    /// The object exists (a listing shows it) but reading it is forbidden.
    case forbidden(object: String)
    /// An answer without a field we need (an upload id, an ETag, a Content-Range...).
    case malformedAnswer(request: String, problem: String)
    /// A setting or profile value is unusable.
    case configuration(setting: String, problem: String)
    /// With Object Lock: the object cannot be removed before its lock ends (nil: S3 refused, the end unknown).
    case locked(object: String, until: UTCTime?)
    /// The store lacks a feature the repository's safety rests on (found when the repository is set up).
    case unsafeStore(store: String, missing: String)
    /// A range answered 412 to If-Match with the ETag the read began with (`S3ObjectReader`): the object was replaced
    /// while being read.
    case changedWhileRead(object: String)
    /// AccessDenied to a request that needs a permission only some roles have: `permission` names it, `role` the policy.
    case permissionMissing(request: String, permission: String, role: String)

    /// Every text here that came from the server (a code, a message, a key it named) is made safe
    /// for one log line and bounded (`sanitizedServerText`), as it ends up in PostgreSQL's log.
    public var description: String {
        switch self {
        case let .refused(request, status, code, message):
            let said = message.isEmpty ? "" : ": \(message.sanitizedServerText(limit: 300))"
            let hint = S3Error.hint(code: code, status: status).map { " (\($0))" } ?? ""
            return "\(request.sanitizedServerText(limit: 1200)) failed with HTTP \(status) \(code.sanitizedServerText(limit: 64))\(said)\(hint)"
        case .missingOrForbidden(let object):
            return "reading \(object) is forbidden (HTTP 403) and listing its prefix is forbidden too, so it cannot be told "
                + "whether it is missing: allow s3:ListBucket on the bucket (see the minimal IAM policy in docs/s3.md)"
        case .forbidden(let object):
            return "\(object) exists but reading it is forbidden (HTTP 403): allow s3:GetObject on the repository prefix"
        case let .malformedAnswer(request, problem):
            return "\(request.sanitizedServerText(limit: 1200)): unexpected answer from the server: \(problem)"
        case let .configuration(setting, problem):
            return "\(setting) \(problem)"
        case let .locked(object, until):
            return "\(object) cannot be removed yet: S3 Object Lock holds it \(until.map { "until \($0.iso8601)" } ?? "(S3 refused the deletion)")"
        case .changedWhileRead(let object):
            return "\(object) changed while being read (S3 answered 412 PreconditionFailed to If-Match with the ETag its read began "
                + "with): nothing of it was used; read it again, and if this repeats, find what replaces it"
        case let .permissionMissing(request, permission, role):
            return "\(request.sanitizedServerText(limit: 1200)) was refused (HTTP 403 AccessDenied): allow \(permission) to \(role) "
                + "(docs/s3.md, \"Minimal IAM policy: one per role\")"
        case let .unsafeStore(store, missing):
            return "\(store.sanitizedServerText(limit: 300)) does not support \(missing): refusing to use it as a repository "
                + "(docs/s3.md, \"S3-compatible stores\")"
        }
    }

    /// S3's error code, when the server gave one.
    public var code: String? {
        if case let .refused(_, _, code, _) = self { return code }
        return nil
    }

    /// Throttling and server-side failures, which another attempt may get past.
    var isTransient: Bool {
        guard case let .refused(_, status, code, _) = self else { return false }
        if [500, 502, 503, 504, 429].contains(status) { return true }
        return ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException"].contains(code)
    }

    static func hint(code: String, status: Int) -> String? {
        switch code {
        case "SignatureDoesNotMatch": "check AWS_SECRET_ACCESS_KEY for this AWS_ACCESS_KEY_ID, and AWS_REGION"
        case "InvalidAccessKeyId": "check AWS_ACCESS_KEY_ID (or the AWS_PROFILE in use) and AWS_ENDPOINT_URL"
        case "AccessDenied", "AllAccessDisabled": "the credentials lack a permission: see the minimal IAM policy in docs/s3.md"
        case "NoSuchBucket": "check the bucket in TAILTOWN_REPO, AWS_ENDPOINT_URL and AWS_REGION"
        case "RequestTimeTooSkewed": "this machine's clock is off by more than 15 minutes: synchronise it (NTP)"
        case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException", "InvalidRegion":
            "the bucket is in another region: set AWS_REGION to the bucket's region"
        case "ExpiredToken", "TokenRefreshRequired", "InvalidToken":
            "the session token has expired or was revoked: refresh AWS_SESSION_TOKEN, or check the role the credentials come from ('tailtown-pitr config' names it)"
        case "InvalidObjectState":
            "the object is in an archive storage class (GLACIER or DEEP_ARCHIVE) and must be restored (thawed) before it can be read: "
                + "restore --thaw does it for what a restore reads (docs/recovery.md, \"Restoring from archived backups\")"
        case "InvalidStorageClass": "check TAILTOWN_S3_STORAGE_CLASS and its _DAILY, _WEEKLY, _MONTHLY, _YEARLY and _WAL"
        case "EntityTooSmall": "TAILTOWN_S3_PART_SIZE must be at least 5 MiB"
        case "EntityTooLarge": "lower TAILTOWN_S3_PART_SIZE (at most 5 GiB)"
        case "InvalidArgument", "InvalidEncryptionAlgorithmError", "KMS.NotFoundException", "KMS.DisabledException":
            "check TAILTOWN_S3_SSE and TAILTOWN_S3_SSE_KMS_KEY_ID"
        case "NotImplemented": "the server does not support this request"
        default: status == 403 ? "see the minimal IAM policy in docs/s3.md" : nil
        }
    }
}
