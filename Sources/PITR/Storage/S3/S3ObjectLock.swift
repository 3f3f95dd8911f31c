import PITRSupport

/// S3 Object Lock on every new object (TAILTOWN_S3_OBJECT_LOCK): the mode, and how long an object is locked when it
/// is written. Kept objects are locked longer later, by `delete` (PutObjectRetention), once their class is known.
public struct S3ObjectLock: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// Users with s3:BypassGovernanceRetention may still delete; nobody else.
        case governance = "GOVERNANCE"
        /// Nobody may delete, the account's root user included, until the date.
        case compliance = "COMPLIANCE"
    }

    public let mode: Mode
    /// How long past its need an object stays locked (TAILTOWN_S3_OBJECT_LOCK_MARGIN).
    public let margin: Int64
    /// How long a new object is needed for at least: the daily class's horizon, until `delete` extends the locks of
    /// what it keeps.
    public let horizon: Int64
    /// Seconds from a write to the end of its lock.
    public var secondsAtWrite: Int64 { horizon + margin }

    public init(mode: Mode, margin: Int64, horizon: Int64) {
        self.mode = mode
        self.margin = margin
        self.horizon = horizon
    }

    /// The end of the lock an object needed until `needed` (nil: as long as the policy keeps anything) should have at
    /// `now`: the need plus the margin, never shorter than a new object's.
    public func end(neededUntil needed: UTCTime?, now: UTCTime) -> UTCTime {
        let atWrite = now.secondsSinceEpoch + secondsAtWrite
        return UTCTime(secondsSinceEpoch: max(atWrite, (needed?.secondsSinceEpoch ?? 0) + margin))
    }

    /// The lock headers of an object written at `now` (a PUT, or a CreateMultipartUpload).
    func headers(now: UTCTime) -> [(name: String, value: String)] {
        [("x-amz-object-lock-mode", mode.rawValue),
         ("x-amz-object-lock-retain-until-date", UTCTime(secondsSinceEpoch: now.secondsSinceEpoch + secondsAtWrite).iso8601)]
    }
}
