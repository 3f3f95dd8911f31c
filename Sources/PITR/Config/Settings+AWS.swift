import PITRStorage
import PITRSupport

/// The AWS account that S3 repositories and KMS-wrapped keys use: credentials and region, read as the AWS CLI reads them.
struct AWSAccount {
    let credentials: AWSCredentialProvider
    let region: String
    /// The profile's values (lower-cased keys), the credentials file's before the config file's.
    let profile: [String: String]
    /// The profile and config file as messages may show them.
    let shownProfile: String
    let shownConfig: String
}

extension Settings {
    /// The account: the region is AWS_REGION, else the profile's `region`, else us-east-1; the credentials come from
    /// the first source of the chain that is configured (`credentialSource`), temporary ones cached in
    /// `cacheFolder`. `home` locates ~/.aws (the HOME variable). Nothing is fetched here.
    /// Throws `ConfigError` for a malformed value, `S3Error.configuration` when no source is configured.
    func awsAccount(home: String?, log: Log) throws -> AWSAccount {
        let profiles = try AWSProfiles(settings: self, home: home)
        let profileName = value(of: .awsProfile)?.text ?? "default"
        if let explicit = value(of: .awsProfile), profiles.profile(profileName) == nil, value(of: .awsAccessKeyID) == nil {
            throw invalid(.awsProfile, explicit, "names no profile of \(profiles.shownCredentials) or \(profiles.shownConfig)")
        }
        let profile = profiles.profile(profileName) ?? [:]
        let region = value(of: .awsRegion)?.text ?? profile["region"] ?? "us-east-1"
        let chain = CredentialChain(settings: self, profiles: profiles, sts: try stsEndpoint(region: region), home: home)
        let provider = AWSCredentialProvider(source: try chain.source(profileName: profileName), cacheFolder: try cacheFolder(home: home), log: log)
        return AWSAccount(credentials: provider, region: region, profile: profile,
                          shownProfile: profiles.shown(profileName), shownConfig: profiles.shownConfig)
    }

    /// Where the credentials come from, as `config` says it (never a secret); nil when the repository is not on S3
    /// and keys are not wrapped by KMS. Throws as `awsAccount`.
    public func awsCredentialsDescription(home: String?) throws -> String? {
        let onS3 = if case .s3? = try? repository() { true } else { false }
        guard onS3 || kmsKeyID != nil else { return nil }
        return try awsAccount(home: home, log: Log(level: .error)).credentials.sourceDescription
    }

    /// AWS_ENDPOINT_URL_STS (verified with TAILTOWN_S3_CA_FILE when set, as a private endpoint), else STS's regional
    /// endpoint.
    func stsEndpoint(region: String) throws -> STSEndpoint {
        guard let url = value(of: .awsEndpointURLSTS) else { return .regional(region) }
        guard let parsed = S3Endpoint.parse(url.text, style: .path) else {
            throw invalid(.awsEndpointURLSTS, url, "is not an endpoint URL: use http(s)://host[:port]")
        }
        return STSEndpoint(endpoint: parsed, region: region, caFile: try privateCAFile())
    }

    /// TAILTOWN_S3_CA_FILE, the CA bundle of private endpoints (S3's, and STS's and KMS's when they are set), checked to exist.
    func privateCAFile() throws -> String? {
        guard let caFile = value(of: .s3CAFile) else { return nil }
        guard FileSystem.exists(caFile.text) else { throw invalid(.s3CAFile, caFile, "does not exist: give the path of a PEM CA bundle") }
        return caFile.text
    }

    /// TAILTOWN_CACHE_DIR ("none": no cache), else $XDG_CACHE_HOME/tailtown-pitr, else ~/.cache/tailtown-pitr; nil
    /// when there is no home to put it in.
    package func cacheFolder(home: String?) throws -> String? {
        if let folder = value(of: .cacheDirectory) {
            if folder.text == "none" { return nil }
            guard folder.text.hasPrefix("/") else { throw invalid(.cacheDirectory, folder, "is not an absolute path (or none)") }
            return folder.text
        }
        if let xdg = value(of: .xdgCacheHome)?.text, xdg.hasPrefix("/") { return xdg + "/tailtown-pitr" }
        guard let home, home.hasPrefix("/") else { return nil }
        return home + "/.cache/tailtown-pitr"
    }
}
