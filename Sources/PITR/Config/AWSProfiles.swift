import PITRStorage
import PITRSupport

/// The AWS shared credentials and config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, else ~/.aws/credentials
/// and ~/.aws/config), read once: a profile's values are the credentials file's before the config file's.
struct AWSProfiles {
    let credentialsFile: AWSProfileFile?
    let configFile: AWSProfileFile?
    /// The paths as messages may show them (`SettingDefinition.shown`).
    let shownCredentials: String
    let shownConfig: String

    init(settings: Settings, home: String?) throws {
        let awsFolder = (home ?? "") + "/.aws"
        let credentialsPath = settings.value(of: .awsSharedCredentialsFile)?.text ?? awsFolder + "/credentials"
        let configPath = settings.value(of: .awsConfigFile)?.text ?? awsFolder + "/config"
        credentialsFile = home == nil && settings.value(of: .awsSharedCredentialsFile) == nil ? nil : try AWSProfileFile.read(credentialsPath, kind: .credentials)
        configFile = home == nil && settings.value(of: .awsConfigFile) == nil ? nil : try AWSProfileFile.read(configPath, kind: .config)
        shownCredentials = SettingDefinition.awsSharedCredentialsFile.shown(credentialsPath) ?? "(path not shown)"
        shownConfig = SettingDefinition.awsConfigFile.shown(configPath) ?? "(path not shown)"
    }

    /// The profile `name`'s non-empty values, nil when neither file has it.
    func profile(_ name: String) -> [String: String]? {
        let fromCredentials = credentialsFile?.profiles[name]
        let fromConfig = configFile?.profiles[name]
        guard fromCredentials != nil || fromConfig != nil else { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { $1.isEmpty ? $0 : $1 }.filter { !$0.value.isEmpty }
    }

    /// "'name'" as messages may show it.
    func shown(_ name: String) -> String {
        SettingDefinition.awsProfile.shown(name).map { "'\($0)'" } ?? "(name not shown)"
    }
}
