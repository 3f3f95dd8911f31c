/// One known setting. Adding a setting is one entry in `SettingDefinition.all`,
/// plus a typed accessor on `Settings` for the commands that use it.
public struct SettingDefinition: Sendable {
    /// The name in the environment and in config files.
    public let name: String
    /// Secret values are never printed: masked in the report, omitted from errors.
    public let isSecret: Bool
    /// The command-line flag that overrides it, or nil when it has none
    /// (an inline key on the command line would show in `ps`).
    public let flag: String?
    /// The effective value when no source sets it, or nil when there is none.
    public let defaultValue: String?
    public let help: String

    public init(_ name: String, secret: Bool = false, flag: String? = nil, default defaultValue: String? = nil, help: String) {
        self.name = name
        self.isSecret = secret
        self.flag = flag
        self.defaultValue = defaultValue
        self.help = help
    }
}

extension SettingDefinition {
    public static let config = SettingDefinition(
        "TAILTOWN_CONFIG", flag: "--config",
        help: "config file of KEY=value lines, read before /etc/tailtown-pitr.conf")
    public static let repository = SettingDefinition(
        "TAILTOWN_REPO", flag: "--repo",
        help: "repository URL: file:///absolute/path or s3://bucket[/prefix]")
    public static let compression = SettingDefinition(
        "TAILTOWN_COMPRESSION", flag: "--compression", default: "lz4",
        help: "compression of new objects: lz4, zstd or none")
    public static let compressionLevel = SettingDefinition(
        "TAILTOWN_COMPRESSION_LEVEL", flag: "--compression-level",
        help: "lz4 1...12, zstd -5...-1 or 1...19; ignored with none; unset means the compressor's default")
    public static let encryptionKeyFile = SettingDefinition(
        "TAILTOWN_ENCRYPTION_KEY_FILE", flag: "--encryption-key-file",
        help: "file holding the base64 of a 32-byte key (not readable by others)")
    public static let encryptionKey = SettingDefinition(
        "TAILTOWN_ENCRYPTION_KEY", secret: true,
        help: "the base64 of a 32-byte key, inline; exclusive with TAILTOWN_ENCRYPTION_KEY_FILE")
    public static let logLevel = SettingDefinition(
        "TAILTOWN_LOG_LEVEL", flag: "--log-level", default: "info",
        help: "debug, info, warning or error")
    public static let retain = SettingDefinition(
        "TAILTOWN_RETAIN", default: "daily=7 weekly=4 monthly=12 yearly=7",
        help: "backups delete keeps: the newest in each of the last N days, ISO weeks, months and years (UTC)")
    public static let retainDumps = SettingDefinition(
        "TAILTOWN_RETAIN_DUMPS",
        help: "dump runs delete keeps, written like TAILTOWN_RETAIN (counted on each run's finish); unset means TAILTOWN_RETAIN")
    public static let fullEvery = SettingDefinition(
        "TAILTOWN_FULL_EVERY", default: "7d",
        help: "age of the last full backup (7d, 36h, 90m or seconds) from which backup-push takes a full backup rather than an incremental; 0 means always full")
    public static let notifyURL = SettingDefinition(
        "TAILTOWN_NOTIFY_URL", secret: true,
        help: "http(s) URL check POSTs {\"text\": ...} to when a check fails (Slack-style incoming webhook); unset means no alert")
    public static let uploadConcurrency = SettingDefinition(
        "TAILTOWN_UPLOAD_CONCURRENCY",
        help: "files the background pusher stores at once (1...16), each on its own connection; unset means one per core, at least 2, at most 8")
    public static let pushAhead = SettingDefinition(
        "TAILTOWN_PUSH_AHEAD",
        help: "most .ready files the background pusher has stored or is storing ahead of PostgreSQL's calls (0...256); 0 turns push-ahead off; unset means 8 x TAILTOWN_UPLOAD_CONCURRENCY")
    public static let prefetch = SettingDefinition(
        "TAILTOWN_PREFETCH", default: "8",
        help: "segments wal-fetch's background prefetcher keeps ready ahead of recovery (0...64); 0 turns prefetch off")
    public static let fetchGapGrace = SettingDefinition(
        "TAILTOWN_FETCH_GAP_GRACE", default: "60",
        help: "seconds (0...86400) a later WAL file must have been archived before wal-fetch calls a missing one a hole and stops recovery (exit 200)")

    // Wrapped keys (docs/operations.md, "Keys wrapped by AWS KMS"); AWS credentials and region as for S3.
    public static let kmsKeyID = SettingDefinition(
        "TAILTOWN_KMS_KEY_ID",
        help: "AWS KMS key (id, ARN or alias/NAME) that wraps the keys keygen writes, so key files hold no key in plain; "
            + "not TAILTOWN_S3_SSE_KMS_KEY_ID, which is S3's server-side encryption")
    public static let kmsSecondKeyID = SettingDefinition(
        "TAILTOWN_KMS_SECOND_KEY_ID",
        help: "a second AWS KMS key (by ARN; another account's) that wraps each new key too, as the second wrapping "
            + "TAILTOWN_KMS_KEY_ID requires (or TAILTOWN_KEY_PASSPHRASE_FILE, or both)")
    public static let kmsEndpoint = SettingDefinition(
        "TAILTOWN_KMS_ENDPOINT",
        help: "http(s)://host[:port] of the KMS API (a VPC endpoint); unset means https://kms.REGION.amazonaws.com")
    public static let keyPassphraseFile = SettingDefinition(
        "TAILTOWN_KEY_PASSPHRASE_FILE",
        help: "file holding the passphrase of the second, offline wrapping of KMS-wrapped keys (not readable by others); "
            + "keygen requires it with TAILTOWN_KMS_KEY_ID, and reads use it when KMS fails")
    public static let kmsCacheSeconds = SettingDefinition(
        "TAILTOWN_KMS_CACHE_SECONDS", default: "300",
        help: "seconds (0...86400) an unwrapped key stays in the user's kernel keyring for the next wal-push and wal-fetch; 0 means no cache")

    // S3 repositories: AWS's own names, as the AWS CLI and SDKs read them, then ours.
    public static let awsAccessKeyID = SettingDefinition(
        "AWS_ACCESS_KEY_ID", help: "S3 access key id; unset means the profile's (AWS_PROFILE)")
    public static let awsSecretAccessKey = SettingDefinition(
        "AWS_SECRET_ACCESS_KEY", secret: true, help: "S3 secret access key, with AWS_ACCESS_KEY_ID")
    public static let awsSessionToken = SettingDefinition(
        "AWS_SESSION_TOKEN", secret: true, help: "session token of temporary credentials")
    public static let awsRegion = SettingDefinition(
        "AWS_REGION", help: "the bucket's region; unset means the profile's region, else us-east-1")
    public static let awsEndpointURL = SettingDefinition(
        "AWS_ENDPOINT_URL", help: "http(s)://host[:port] of an S3-compatible store; unset means AWS (or the profile's endpoint_url)")
    public static let awsProfile = SettingDefinition(
        "AWS_PROFILE", help: "profile of ~/.aws/credentials and ~/.aws/config used when AWS_ACCESS_KEY_ID is unset (default: default)")
    public static let awsSharedCredentialsFile = SettingDefinition(
        "AWS_SHARED_CREDENTIALS_FILE", help: "credentials file; unset means ~/.aws/credentials")
    public static let awsConfigFile = SettingDefinition(
        "AWS_CONFIG_FILE", help: "AWS config file; unset means ~/.aws/config")
    // The rest of AWS's credential chain (docs/s3.md, "Where credentials come from"), in the SDKs' order.
    public static let awsRoleARN = SettingDefinition(
        "AWS_ROLE_ARN", help: "role assumed with the web identity token of AWS_WEB_IDENTITY_TOKEN_FILE (EKS IRSA)")
    public static let awsRoleSessionName = SettingDefinition(
        "AWS_ROLE_SESSION_NAME", help: "session name of an assumed role; unset means tailtown-pitr-UID")
    public static let awsWebIdentityTokenFile = SettingDefinition(
        "AWS_WEB_IDENTITY_TOKEN_FILE", help: "file holding the web identity token exchanged for AWS_ROLE_ARN's credentials (STS AssumeRoleWithWebIdentity)")
    public static let awsEndpointURLSTS = SettingDefinition(
        "AWS_ENDPOINT_URL_STS", help: "http(s)://host[:port] of STS (a VPC endpoint); unset means https://sts.REGION.amazonaws.com")
    public static let awsContainerCredentialsRelativeURI = SettingDefinition(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", help: "path of the ECS task role's credentials on http://169.254.170.2 (set by ECS)")
    public static let awsContainerCredentialsFullURI = SettingDefinition(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        help: "URL of a container credentials endpoint (EKS Pod Identity): https, or http only to loopback, 169.254.170.2 or 169.254.170.23")
    public static let awsContainerAuthorizationToken = SettingDefinition(
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", secret: true, help: "Authorization header sent to AWS_CONTAINER_CREDENTIALS_FULL_URI")
    public static let awsContainerAuthorizationTokenFile = SettingDefinition(
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        help: "file holding the Authorization header sent to the container credentials endpoint, read at each fetch (EKS Pod Identity)")
    public static let awsEC2MetadataDisabled = SettingDefinition(
        "AWS_EC2_METADATA_DISABLED", default: "false", help: "true keeps the chain from asking EC2 instance metadata for the instance role's credentials")
    public static let awsEC2MetadataServiceEndpoint = SettingDefinition(
        "AWS_EC2_METADATA_SERVICE_ENDPOINT", help: "http(s)://host[:port] of the EC2 instance metadata service; unset means http://169.254.169.254")
    public static let cacheDirectory = SettingDefinition(
        "TAILTOWN_CACHE_DIR",
        help: "folder (0700, the user's) where temporary AWS credentials and an S3 repository's metadata are cached for the next wal-push and wal-fetch; "
            + "unset means $XDG_CACHE_HOME/tailtown-pitr, else ~/.cache/tailtown-pitr; none means no cache")
    public static let xdgCacheHome = SettingDefinition(
        "XDG_CACHE_HOME", help: "the user's cache folder, under which TAILTOWN_CACHE_DIR is by default")
    public static let s3PathStyle = SettingDefinition(
        "TAILTOWN_S3_PATH_STYLE", default: "auto",
        help: "auto (path style with AWS_ENDPOINT_URL, virtual-host style on AWS), true (path) or false (virtual host)")
    public static let s3StorageClass = SettingDefinition(
        "TAILTOWN_S3_STORAGE_CLASS",
        help: "storage class of new objects, e.g. STANDARD_IA, and of each retention class not set below; unset means the bucket's default")
    public static let s3StorageClassDaily = SettingDefinition(
        "TAILTOWN_S3_STORAGE_CLASS_DAILY", help: "storage class backups are written in; unset means TAILTOWN_S3_STORAGE_CLASS, else STANDARD")
    public static let s3StorageClassWeekly = SettingDefinition(
        "TAILTOWN_S3_STORAGE_CLASS_WEEKLY",
        help: "storage class weekly backups move to when 30 days old if kept long enough to pay; unset means TAILTOWN_S3_STORAGE_CLASS, else STANDARD_IA on AWS")
    public static let s3StorageClassMonthly = SettingDefinition(
        "TAILTOWN_S3_STORAGE_CLASS_MONTHLY",
        help: "storage class monthly backups (and the WAL only they need) move to; GLACIER allowed; unset means TAILTOWN_S3_STORAGE_CLASS, else GLACIER_IR on AWS")
    public static let s3StorageClassYearly = SettingDefinition(
        "TAILTOWN_S3_STORAGE_CLASS_YEARLY",
        help: "storage class yearly and permanent backups (and the WAL only they need) move to; unset means TAILTOWN_S3_STORAGE_CLASS, else DEEP_ARCHIVE on AWS")
    public static let s3StorageClassWAL = SettingDefinition(
        "TAILTOWN_S3_STORAGE_CLASS_WAL", help: "storage class WAL is written in; unset means TAILTOWN_S3_STORAGE_CLASS, else STANDARD")
    public static let s3Prices = SettingDefinition(
        "TAILTOWN_S3_PRICES",
        help: "prices status's monthly estimate uses instead of AWS us-east-1 list prices, e.g. 'storage.STANDARD=0.023 put.GLACIER_IR=0.02' (USD per GB-month, per 1000 requests, per GB retrieved)")
    public static let s3ServerSideEncryption = SettingDefinition(
        "TAILTOWN_S3_SSE", help: "server-side encryption of new objects: AES256 or aws:kms; unset means the bucket's default")
    public static let s3KMSKeyID = SettingDefinition(
        "TAILTOWN_S3_SSE_KMS_KEY_ID", help: "KMS key id or ARN with TAILTOWN_S3_SSE=aws:kms; unset means the AWS managed key")
    public static let s3PartSize = SettingDefinition(
        "TAILTOWN_S3_PART_SIZE", default: "17MiB",
        help: "multipart part size and upload buffer, 5MiB...5GiB (bytes, or with KiB, MiB, GiB)")
    public static let s3ReadSize = SettingDefinition(
        "TAILTOWN_S3_READ_SIZE", default: "17MiB",
        help: "bytes per ranged GET when reading an object, 1MiB...5GiB; two ranges of a large object are in memory at once")
    public static let s3ObjectLock = SettingDefinition(
        "TAILTOWN_S3_OBJECT_LOCK",
        help: "governance or compliance: S3 Object Lock on every new object, in a bucket made with Object Lock; unset means no lock")
    public static let s3ObjectLockMargin = SettingDefinition(
        "TAILTOWN_S3_OBJECT_LOCK_MARGIN", default: "7d",
        help: "how long past its need an object stays locked (7d, 36h, 90m or seconds): a new object is locked for the daily horizon of TAILTOWN_RETAIN plus this")
    public static let s3MaxRetries = SettingDefinition(
        "TAILTOWN_S3_MAX_RETRIES", default: "6",
        help: "retries of a failed S3 request (0...100), with exponential backoff, within 120 s in all")
    public static let s3CAFile = SettingDefinition(
        "TAILTOWN_S3_CA_FILE", help: "extra CA bundle (PEM) for a private endpoint; TLS is always verified")

    /// Every known setting, in report order.
    public static let all: [SettingDefinition] = [
        config, repository, compression, compressionLevel, encryptionKeyFile, encryptionKey, logLevel, retain, retainDumps, fullEvery, notifyURL,
        uploadConcurrency, pushAhead, prefetch, fetchGapGrace,
        kmsKeyID, kmsSecondKeyID, kmsEndpoint, keyPassphraseFile, kmsCacheSeconds,
        awsAccessKeyID, awsSecretAccessKey, awsSessionToken, awsRegion, awsEndpointURL, awsProfile,
        awsSharedCredentialsFile, awsConfigFile, awsRoleARN, awsRoleSessionName, awsWebIdentityTokenFile, awsEndpointURLSTS,
        awsContainerCredentialsRelativeURI, awsContainerCredentialsFullURI, awsContainerAuthorizationToken, awsContainerAuthorizationTokenFile,
        awsEC2MetadataDisabled, awsEC2MetadataServiceEndpoint, cacheDirectory, xdgCacheHome,
        s3PathStyle, s3StorageClass, s3StorageClassDaily, s3StorageClassWeekly, s3StorageClassMonthly, s3StorageClassYearly,
        s3StorageClassWAL, s3Prices, s3ServerSideEncryption, s3KMSKeyID, s3PartSize, s3ReadSize, s3ObjectLock, s3ObjectLockMargin,
        s3MaxRetries, s3CAFile,
    ] + [secondRepository] + secondConnection

    /// Names under these prefixes are ours: an unknown one in a config file is an error
    /// (a typo must not silently disable a setting), in the environment a warning.
    public static let reservedPrefixes = ["TAILTOWN_"]

    public static func named(_ name: String) -> SettingDefinition? {
        all.first { $0.name == name }
    }

    /// True when `name` falls under a reserved prefix, compared ignoring case so
    /// `tailtown_repo` is caught as a typo rather than ignored as someone else's key.
    static func isReserved(_ name: String) -> Bool {
        let upper = name.uppercased()
        return reservedPrefixes.contains { upper.hasPrefix($0) }
    }

    /// `text`, a value of this setting, as messages and the `config` report may show it (control
    /// characters replaced), or nil when it may not be shown: every value of a secret setting, and
    /// any value that holds key material (`SecretText.containsKeyMaterial`), so that a key pasted
    /// into TAILTOWN_ENCRYPTION_KEY_FILE, TAILTOWN_CONFIG or beside another value is not printed.
    /// A message about a value that may not be shown must not quote parts of it either.
    public func shown(_ text: String) -> String? {
        guard !isSecret, !SecretText.containsKeyMaterial(text) else { return nil }
        return OneLine.of(text)
    }

    /// `NAME='value'` for messages, or `NAME` alone when the value may not be shown.
    func shownAssignment(_ text: String) -> String {
        shown(text).map { "\(name)='\($0)'" } ?? name
    }

    /// The known name closest to `name` (edit distance at most 2, ignoring case), for "did you mean".
    static func suggestion(for name: String) -> String? {
        let upper = name.uppercased()
        var best: (name: String, distance: Int)?
        for definition in all {
            let distance = EditDistance.between(upper, definition.name)
            if distance <= 2, distance < (best?.distance ?? Int.max) {
                best = (definition.name, distance)
            }
        }
        return best?.name
    }
}
