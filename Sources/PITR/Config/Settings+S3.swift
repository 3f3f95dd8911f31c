import PITRNative
import PITRStorage
import PITRSupport

/// The typed accessor of the S3 settings (AWS_* and TAILTOWN_S3_*).
extension Settings {
    /// The configuration of an `s3://bucket/prefix` repository: the account (`awsAccount`), then the
    /// endpoint, AWS_ENDPOINT_URL or else the profile's `endpoint_url`. `home` locates ~/.aws (the HOME variable).
    /// `lockHorizon`: the seconds a new object is needed for at least (the daily class's horizon), when Object Lock is on.
    /// Throws `ConfigError` for a malformed value, `S3Error.configuration` for missing credentials.
    public func s3Configuration(bucket: String, prefix: String, home: String?, log: Log = Log(level: .warning),
                                lockHorizon: Int64 = 0) throws -> S3Configuration {
        let account = try awsAccount(home: home, log: log)
        let region = account.region
        let pathStyle = try s3PathStyle()
        let endpoint: S3Endpoint
        let onAWS = value(of: .awsEndpointURL) == nil && account.profile["endpoint_url"] == nil
        if let url = value(of: .awsEndpointURL) {
            guard let parsed = S3Endpoint.parse(url.text, style: pathStyle ?? .path) else {
                throw invalid(.awsEndpointURL, url, "is not an endpoint URL: use http(s)://host[:port]")
            }
            endpoint = parsed
        } else if let url = account.profile["endpoint_url"] {
            guard let parsed = S3Endpoint.parse(url, style: pathStyle ?? .path) else {
                throw S3Error.configuration(setting: "endpoint_url of profile \(account.shownProfile) in \(account.shownConfig)",
                                            problem: "is not an endpoint URL: use http(s)://host[:port]")
            }
            endpoint = parsed
        } else {
            let aws = S3Endpoint.aws(region: region, bucket: bucket)
            endpoint = S3Endpoint(scheme: aws.scheme, host: aws.host, port: aws.port, style: pathStyle ?? aws.style)
        }

        let http = HTTPClientOptions(caFile: try privateCAFile())
        var retry = RetryPolicy()
        retry.maxRetries = try s3MaxRetries()
        return S3Configuration(
            bucket: bucket, prefix: prefix, endpoint: endpoint, region: region, credentials: account.credentials,
            storageClasses: try s3StorageClasses(onAWS: onAWS), serverSideEncryption: try s3ServerSideEncryption(), objectLock: try s3ObjectLock(horizon: lockHorizon),
            partSize: try s3PartSize(), readSize: try s3ReadSize(), retry: retry, http: http)
    }

    /// TAILTOWN_S3_PATH_STYLE: nil for auto.
    func s3PathStyle() throws -> S3Endpoint.Style? {
        guard let value = value(of: .s3PathStyle) else { return nil }
        switch value.text.lowercased() {
        case "auto": return nil
        case "true", "yes", "on", "1", "path": return .path
        case "false", "no", "off", "0", "virtual", "virtual-host": return .virtualHost
        default: throw invalid(.s3PathStyle, value, "is not one of auto, true, false")
        }
    }

    /// TAILTOWN_S3_STORAGE_CLASS and the class of each kind (docs/s3.md, "Storage classes"): a kind's own setting, else
    /// TAILTOWN_S3_STORAGE_CLASS, else on AWS the least-cost classes (`S3StorageClasses.leastCost`), elsewhere the bucket's
    /// default (S3-compatible stores seldom have the same classes). The archive classes are refused where the PITR window
    /// or wal-fetch read (daily, weekly, WAL), and the longer tiers must run down S3's lifecycle waterfall.
    func s3StorageClasses(onAWS: Bool) throws -> S3StorageClasses {
        let base = try s3StorageClass(.s3StorageClass, archiveAllowed: false)
        let fallback = onAWS && base == nil ? S3StorageClasses.leastCost : S3StorageClasses()
        let classes = S3StorageClasses(
            daily: try s3StorageClass(.s3StorageClassDaily, archiveAllowed: false) ?? base ?? fallback.daily,
            weekly: try s3StorageClass(.s3StorageClassWeekly, archiveAllowed: false) ?? base ?? fallback.weekly,
            monthly: try s3StorageClass(.s3StorageClassMonthly, archiveAllowed: true) ?? base ?? fallback.monthly,
            yearly: try s3StorageClass(.s3StorageClassYearly, archiveAllowed: true) ?? base ?? fallback.yearly,
            wal: try s3StorageClass(.s3StorageClassWAL, archiveAllowed: false) ?? base ?? fallback.wal, other: base)
        let tiers: [(SettingDefinition, S3StorageClasses.Tier)] = [(.s3StorageClassDaily, .daily), (.s3StorageClassWeekly, .weekly),
                                                                    (.s3StorageClassMonthly, .monthly), (.s3StorageClassYearly, .yearly)]
        for (index, (setting, tier)) in tiers.enumerated().dropFirst() {
            let name = S3StorageClasses.effective(classes.name(of: tier))
            let order = S3StorageClasses.waterfall.joined(separator: ", ")
            guard let rank = S3StorageClasses.rank(name) else {
                if name == S3StorageClasses.effective(classes.daily) { continue }  // one class for all, which nothing moves from
                throw S3Error.configuration(setting: setting.name, problem: "is \(name), which S3 lifecycle rules cannot move objects to: use one of \(order)")
            }
            for (shorter, shorterTier) in tiers[..<index] {
                let warmer = S3StorageClasses.effective(classes.name(of: shorterTier))
                if let shorterRank = S3StorageClasses.rank(warmer), shorterRank > rank {
                    throw S3Error.configuration(setting: setting.name, problem: "is \(name), warmer than \(shorter.name) (\(warmer)), and S3 moves "
                        + "objects only down \(order): use \(warmer) or a class after it")
                }
            }
        }
        return classes
    }

    private func s3StorageClass(_ setting: SettingDefinition, archiveAllowed: Bool) throws -> String? {
        guard let value = value(of: setting) else { return nil }
        let name = value.text.uppercased()
        if !archiveAllowed, S3StorageClasses.archive.contains(name) {
            throw invalid(setting, value, "keeps objects offline, where wal-fetch and the PITR window cannot read them: use STANDARD, STANDARD_IA, "
                + "ONEZONE_IA, INTELLIGENT_TIERING or GLACIER_IR, and GLACIER or DEEP_ARCHIVE only in TAILTOWN_S3_STORAGE_CLASS_MONTHLY or _YEARLY")
        }
        guard !name.isEmpty, name.allSatisfy({ ("A"..."Z").contains($0) || $0 == "_" }) else {
            throw invalid(setting, value, "is not a storage class name such as STANDARD_IA")
        }
        return name
    }

    /// TAILTOWN_S3_OBJECT_LOCK and its margin: a new object is locked for `horizon` plus the margin.
    func s3ObjectLock(horizon: Int64) throws -> S3ObjectLock? {
        var margin: Int64 = 7 * 86_400
        if let text = value(of: .s3ObjectLockMargin) {
            guard let seconds = DurationText.seconds(text.text), seconds > 0 else {
                throw invalid(.s3ObjectLockMargin, text, "is not a duration such as 7d, 36h or 90m")
            }
            margin = seconds
        }
        guard let value = value(of: .s3ObjectLock) else { return nil }
        guard let mode = S3ObjectLock.Mode(rawValue: value.text.uppercased()) else {
            throw invalid(.s3ObjectLock, value, "is not governance or compliance")
        }
        return S3ObjectLock(mode: mode, margin: margin, horizon: horizon)
    }

    func s3ServerSideEncryption() throws -> S3Configuration.ServerSideEncryption? {
        let keyID = value(of: .s3KMSKeyID)
        guard let value = value(of: .s3ServerSideEncryption) else {
            if let keyID { throw invalid(.s3KMSKeyID, keyID, "is set but TAILTOWN_S3_SSE is not aws:kms") }
            return nil
        }
        switch value.text.lowercased() {
        case "aes256":
            if let keyID { throw invalid(.s3KMSKeyID, keyID, "is set but TAILTOWN_S3_SSE is AES256, not aws:kms") }
            return .aes256
        case "aws:kms": return .kms(keyID: keyID?.text)
        default: throw invalid(.s3ServerSideEncryption, value, "is not AES256 or aws:kms")
        }
    }

    /// TAILTOWN_S3_PART_SIZE in bytes: a number with an optional KiB/MiB/GiB (or K/M/G) suffix.
    func s3PartSize() throws -> Int {
        try s3Size(.s3PartSize, default: S3Configuration.defaultPartSize, range: S3Configuration.minimumPartSize...(5 << 30),
                   outOfRange: "is out of range: S3 parts are 5MiB...5GiB")
    }

    /// TAILTOWN_S3_READ_SIZE in bytes, written like TAILTOWN_S3_PART_SIZE.
    func s3ReadSize() throws -> Int {
        try s3Size(.s3ReadSize, default: S3Configuration.defaultReadSize, range: S3Configuration.minimumReadSize...(5 << 30),
                   outOfRange: "is out of range: use 1MiB...5GiB")
    }

    private func s3Size(_ setting: SettingDefinition, default defaultBytes: Int, range: ClosedRange<Int>, outOfRange: String) throws -> Int {
        guard let value = value(of: setting) else { return defaultBytes }
        let text = value.text.uppercased().filter { $0 != " " }
        let units: [(String, Int)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30),
                                      ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)]
        let unit = units.first { text.hasSuffix($0.0) }
        guard let number = Int(text.dropLast(unit?.0.count ?? 0)) else {
            throw invalid(setting, value, "is not a size such as 32MiB")
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: unit?.1 ?? 1)
        guard !overflow, range.contains(bytes) else {
            throw invalid(setting, value, outOfRange)
        }
        return bytes
    }

    func s3MaxRetries() throws -> Int {
        guard let value = value(of: .s3MaxRetries) else { return RetryPolicy().maxRetries }
        guard let retries = Int(value.text), (0...100).contains(retries) else {
            throw invalid(.s3MaxRetries, value, "is not an integer in 0...100")
        }
        return retries
    }
}
