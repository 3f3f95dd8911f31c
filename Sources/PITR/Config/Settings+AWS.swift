import PITRStorage
import PITRSupport

/// The AWS account that S3 repositories and KMS-wrapped keys use: credentials and region, read as the AWS CLI reads them.
struct AWSAccount {
    let credentials: AWSCredentials
    let region: String
    /// The profile's values (lower-cased keys), the credentials file's before the config file's.
    let profile: [String: String]
    /// The profile and config file as messages may show them.
    let shownProfile: String
    let shownConfig: String
}

extension Settings {
    /// Credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) when set, else from
    /// the AWS_PROFILE profile (default "default") of the credentials file, then of the config file. The
    /// region is AWS_REGION, else the profile's `region`, else us-east-1. `home` locates ~/.aws (the HOME
    /// variable). Throws `ConfigError` for a malformed value, `S3Error.configuration` for missing credentials.
    func awsAccount(home: String?) throws -> AWSAccount {
        let profileName = value(of: .awsProfile)?.text ?? "default"
        let awsFolder = (home ?? "") + "/.aws"
        let credentialsPath = value(of: .awsSharedCredentialsFile)?.text ?? awsFolder + "/credentials"
        let configPath = value(of: .awsConfigFile)?.text ?? awsFolder + "/config"
        let credentialsFile = home == nil && value(of: .awsSharedCredentialsFile) == nil ? nil : try AWSProfileFile.read(credentialsPath, kind: .credentials)
        let configFile = home == nil && value(of: .awsConfigFile) == nil ? nil : try AWSProfileFile.read(configPath, kind: .config)
        // For messages: each shown only as `SettingDefinition.shown` allows.
        let shownProfile = SettingDefinition.awsProfile.shown(profileName).map { "'\($0)'" } ?? "(name not shown)"
        let shownCredentials = SettingDefinition.awsSharedCredentialsFile.shown(credentialsPath) ?? "(path not shown)"
        let shownConfig = SettingDefinition.awsConfigFile.shown(configPath) ?? "(path not shown)"
        let fromCredentials = credentialsFile?.profiles[profileName]
        let fromConfig = configFile?.profiles[profileName]
        if let explicit = value(of: .awsProfile), fromCredentials == nil, fromConfig == nil, value(of: .awsAccessKeyID) == nil {
            throw invalid(.awsProfile, explicit, "names no profile of \(shownCredentials) or \(shownConfig)")
        }
        let profile = (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { $1.isEmpty ? $0 : $1 }.filter { !$0.value.isEmpty }

        let credentials: AWSCredentials
        if let keyID = value(of: .awsAccessKeyID) {
            guard let secret = value(of: .awsSecretAccessKey) else {
                throw S3Error.configuration(setting: SettingDefinition.awsSecretAccessKey.name,
                                            problem: "is not set while AWS_ACCESS_KEY_ID is (\(keyID.origin.fromDescription)): set both")
            }
            credentials = AWSCredentials(accessKeyID: keyID.text, secretAccessKey: secret.text, sessionToken: value(of: .awsSessionToken)?.text)
        } else if let keyID = profile["aws_access_key_id"], let secret = profile["aws_secret_access_key"] {
            credentials = AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: profile["aws_session_token"])
        } else {
            throw S3Error.configuration(setting: SettingDefinition.awsAccessKeyID.name, problem:
                "is not set and profile \(shownProfile) has no aws_access_key_id and aws_secret_access_key in \(shownCredentials) or \(shownConfig): "
                + "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
        }
        let region = value(of: .awsRegion)?.text ?? profile["region"] ?? "us-east-1"
        return AWSAccount(credentials: credentials, region: region, profile: profile, shownProfile: shownProfile, shownConfig: shownConfig)
    }
}
