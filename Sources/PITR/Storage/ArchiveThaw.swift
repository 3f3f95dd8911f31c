import PITRSupport

/// S3's archive storage classes: a GET of an object in one is refused (InvalidObjectState) until the object is
/// thawed, a temporary copy made readable for some days by a RestoreObject request (docs/recovery.md,
/// "Restoring from archived backups").
public enum ArchiveClass: String, Equatable, Sendable {
    case glacier = "GLACIER"
    case deepArchive = "DEEP_ARCHIVE"

    /// The archive class a listing or HEAD names; nil for the classes a GET reads at once (GLACIER_IR among them).
    public init?(storageClass: String?) {
        guard let storageClass, let known = ArchiveClass(rawValue: storageClass) else { return nil }
        self = known
    }

    /// How long a thaw at `tier` takes, as AWS documents it; nil when the class has no such tier (DEEP_ARCHIVE: no Expedited).
    public func thawTime(_ tier: ThawTier) -> String? {
        switch (self, tier) {
        case (.glacier, .expedited): "1-5 minutes"
        case (.glacier, .standard): "3-5 hours"
        case (.glacier, .bulk): "5-12 hours"
        case (.deepArchive, .expedited): nil
        case (.deepArchive, .standard): "within 12 hours"
        case (.deepArchive, .bulk): "within 48 hours"
        }
    }

    /// What a thaw at `tier` costs in USD, AWS us-east-1 list prices (late 2025): per GB thawed and per 1000 RestoreObject
    /// requests; nil when the class has no such tier. The standard tier's per-GB price is the bill's retrieval price.
    public func thawPrice(_ tier: ThawTier) -> (perGB: Double, perThousandRequests: Double)? {
        switch (self, tier) {
        case (.glacier, .expedited): (0.03, 10)
        case (.glacier, .standard): (0.01, 0.05)
        case (.glacier, .bulk): (0, 0)
        case (.deepArchive, .expedited): nil
        case (.deepArchive, .standard): (0.02, 0.10)
        case (.deepArchive, .bulk): (0.0025, 0.025)
        }
    }

    /// The USD cost of thawing `objects` objects of `bytes` stored bytes at `tier`; nil when the class lacks the tier.
    public func thawCost(_ tier: ThawTier, objects: Int, bytes: Int) -> Double? {
        thawPrice(tier).map { Double(bytes) / Double(1 << 30) * $0.perGB + Double(objects) / 1000 * $0.perThousandRequests }
    }
}

/// The retrieval tier of a thaw: faster costs more.
public enum ThawTier: String, CaseIterable, Sendable {
    case expedited, standard, bulk

    /// As RestoreObject's `Tier` names it.
    var s3Name: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

/// Where an archived object's thaw stands (S3: HEAD's x-amz-restore).
public enum ThawState: Equatable, Sendable {
    /// No thaw asked for, or the last one's copy expired: a GET is refused.
    case notRequested
    /// Asked for, not done yet.
    case ongoing
    /// Readable until the thawed copy expires (nil: the store did not say).
    case readable(until: UTCTime?)

    /// Parses x-amz-restore: `ongoing-request="true"`, or `ongoing-request="false", expiry-date="Tue, 08 Dec 2026 18:31:06 GMT"`.
    init(restoreHeader: String?) {
        guard let header = restoreHeader, header.contains("ongoing-request") else { self = .notRequested; return }
        if header.contains("ongoing-request=\"true\"") { self = .ongoing; return }
        let expiry = header.firstRange(of: "expiry-date=\"").flatMap { start in
            header[start.upperBound...].firstIndex(of: "\"").map { String(header[start.upperBound..<$0]) }
        }
        self = .readable(until: expiry.flatMap(UTCTime.init(httpDate:)))
    }
}

/// An archived object's class and thaw state.
public struct ArchivedState: Equatable, Sendable {
    public let archiveClass: ArchiveClass
    public let thaw: ThawState
}

/// What a RestoreObject request found.
public enum ThawRequestOutcome: Equatable, Sendable {
    /// A thaw began (202).
    case started
    /// One was already under way (409 RestoreAlreadyInProgress): progress, not an error.
    case alreadyOngoing
    /// The object is readable already (200: S3 only moved the expiry).
    case alreadyReadable
}
