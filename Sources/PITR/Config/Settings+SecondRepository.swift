import PITRSupport

extension SettingDefinition {
    public static let secondRepository = SettingDefinition(
        "TAILTOWN_REPO2",
        help: "a second repository (file:// or s3://) that gets a copy of every object of TAILTOWN_REPO, with the same id and keys; "
            + "its connection settings are the S3 ones under TAILTOWN_REPO2_ (TAILTOWN_REPO2_AWS_REGION...); unset means none")

    /// The settings of how a repository is reached, each of which the second repository has under `TAILTOWN_REPO2_`
    /// (`AWS_REGION` as `TAILTOWN_REPO2_AWS_REGION`, `TAILTOWN_S3_CA_FILE` as `TAILTOWN_REPO2_S3_CA_FILE`). The machine's
    /// own (container and instance credentials, the cache) are shared.
    static let connection: [SettingDefinition] = [
        awsAccessKeyID, awsSecretAccessKey, awsSessionToken, awsRegion, awsEndpointURL, awsProfile, awsSharedCredentialsFile, awsConfigFile,
        awsRoleARN, awsRoleSessionName, awsWebIdentityTokenFile, awsEndpointURLSTS,
        s3PathStyle, s3StorageClass, s3StorageClassDaily, s3StorageClassWeekly, s3StorageClassMonthly, s3StorageClassYearly, s3StorageClassWAL,
        s3ServerSideEncryption, s3KMSKeyID, s3PartSize, s3ReadSize, s3ObjectLock, s3ObjectLockMargin,
        s3MaxRetries, s3CAFile,
    ]

    /// The second repository's copy of each of `connection`, in the same order.
    static let secondConnection: [SettingDefinition] = connection.map { setting in
        SettingDefinition(secondName(of: setting.name), secret: setting.isSecret, default: setting.defaultValue,
                          help: "\(setting.name) of TAILTOWN_REPO2")
    }

    static func secondName(of name: String) -> String {
        "TAILTOWN_REPO2_" + (name.hasPrefix("TAILTOWN_") ? String(name.dropFirst("TAILTOWN_".count)) : name)
    }
}

extension Settings {
    /// The settings the second repository is opened with, nil when TAILTOWN_REPO2 is unset: TAILTOWN_REPO2 as the
    /// repository, its own connection settings (`SettingDefinition.connection`, none taken from the first's), everything
    /// else (keys, compression, the cache) as here; messages name the TAILTOWN_REPO2 settings. Refuses a second
    /// repository where the first is, or inside it, or around it (`SecondRepositoryError.samePlace`).
    public func secondRepository() throws -> Settings? {
        guard values[SettingDefinition.secondRepository.name] != nil else { return nil }
        var second = values
        var names = [SettingDefinition.repository.name: SettingDefinition.secondRepository.name]
        second[SettingDefinition.repository.name] = values[SettingDefinition.secondRepository.name]
        for (setting, own) in zip(SettingDefinition.connection, SettingDefinition.secondConnection) {
            second[setting.name] = values[own.name] ?? own.defaultValue.map { SettingValue(text: $0, origin: .defaultValue) }
            names[setting.name] = own.name
        }
        let settings = Settings(values: second, consultedFiles: consultedFiles, unknownEnvironmentKeys: [], defaultFile: defaultFile,
                                shownNames: names)
        if try overlaps(settings) {
            throw SecondRepositoryError.samePlace(first: try repository().description, second: try settings.repository().description)
        }
        return settings
    }

    /// Whether `second`'s repository is this one's, holds it or lies within it: the same folder (symbolic links
    /// followed), or the same bucket on the same endpoint with one prefix within the other.
    private func overlaps(_ second: Settings) throws -> Bool {
        switch (try repository(), try second.repository()) {
        case (.file(let first), .file(let other)):
            let a = ProcessPaths.absolute(first), b = ProcessPaths.absolute(other)
            return a == b || a.hasPrefix(b == "/" ? b : b + "/") || b.hasPrefix(a == "/" ? a : a + "/")
        case (.s3(let bucket, let prefix), .s3(let otherBucket, let otherPrefix)):
            let endpoint = { (settings: Settings) in settings.value(of: .awsEndpointURL)?.text ?? "aws" }
            let within = { (inner: String, outer: String) in outer.isEmpty || inner == outer || inner.hasPrefix(outer + "/") }
            return bucket == otherBucket && endpoint(self) == endpoint(second)
                && (within(prefix, otherPrefix) || within(otherPrefix, prefix))
        default:
            return false
        }
    }
}
