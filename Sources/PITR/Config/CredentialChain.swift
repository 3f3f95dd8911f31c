import PITRStorage
import PITRSupport

/// AWS's credential chain, in the SDKs' order: keys in the settings; a web identity (AWS_WEB_IDENTITY_TOKEN_FILE and
/// AWS_ROLE_ARN); the profile (`role_arn` with a web identity, `source_profile` or `credential_source`; keys;
/// `credential_process`); a container's endpoint (ECS, EKS Pod Identity); EC2 instance metadata. The first one
/// configured is the source: nothing is fetched while choosing.
struct CredentialChain {
    let settings: Settings
    let profiles: AWSProfiles
    let sts: STSEndpoint
    let home: String?

    /// The source for the profile `profileName` (AWS_PROFILE or default). Throws `ConfigError` for a malformed
    /// setting, `S3Error.configuration` for a profile that cannot work or when no source is configured.
    func source(profileName: String) throws -> AWSCredentialSource {
        if let keys = try keysFromSettings() { return keys }
        if let tokenFile = settings.value(of: .awsWebIdentityTokenFile) {
            guard let role = settings.value(of: .awsRoleARN) else {
                throw S3Error.configuration(setting: SettingDefinition.awsRoleARN.name,
                                            problem: "is not set while AWS_WEB_IDENTITY_TOKEN_FILE is (\(tokenFile.origin.fromDescription)): set both")
            }
            return .temporary(WebIdentityCredentials(tokenFile: tokenFile.text, roleARN: role.text, sessionName: sessionName(nil),
                                                     sts: sts, origin: SettingDefinition.awsWebIdentityTokenFile.name))
        }
        if let profile = profiles.profile(profileName), let source = try source(profile: profile, named: profileName, visited: []) {
            return source
        }
        if let container = try containerSource() { return .temporary(container) }
        if try !metadataDisabled() {
            let endpoint = settings.value(of: .awsEC2MetadataServiceEndpoint)
            if let endpoint, S3Endpoint.parse(endpoint.text, style: .path) == nil {
                throw settings.invalid(.awsEC2MetadataServiceEndpoint, endpoint, "is not an endpoint URL: use http(s)://host[:port]")
            }
            return .temporary(InstanceMetadataCredentials(endpoint: endpoint?.text ?? InstanceMetadataCredentials.defaultEndpoint))
        }
        throw S3Error.configuration(setting: SettingDefinition.awsAccessKeyID.name, problem:
            "is not set, profile \(profiles.shown(profileName)) has no credentials in \(profiles.shownCredentials) or \(profiles.shownConfig), "
            + "and no web identity, container or instance metadata (AWS_EC2_METADATA_DISABLED) source is configured: "
            + "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (docs/s3.md, \"Where credentials come from\")")
    }

    private func keysFromSettings() throws -> AWSCredentialSource? {
        guard let keyID = settings.value(of: .awsAccessKeyID) else { return nil }
        guard let secret = settings.value(of: .awsSecretAccessKey) else {
            throw S3Error.configuration(setting: SettingDefinition.awsSecretAccessKey.name,
                                        problem: "is not set while AWS_ACCESS_KEY_ID is (\(keyID.origin.fromDescription)): set both")
        }
        let credentials = AWSCredentials(accessKeyID: keyID.text, secretAccessKey: secret.text, sessionToken: settings.value(of: .awsSessionToken)?.text)
        return .fixed(credentials, origin: "AWS_ACCESS_KEY_ID \(keyID.origin.fromDescription)")
    }

    /// The source a profile configures, nil when it configures none. `visited` holds the profiles a `source_profile`
    /// chain went through, to refuse a loop.
    private func source(profile: [String: String], named name: String, visited: [String]) throws -> AWSCredentialSource? {
        let shown = "profile \(profiles.shown(name))"
        let problem = { (text: String) in S3Error.configuration(setting: shown, problem: text) }
        let keys = profile["aws_access_key_id"].flatMap { keyID in
            profile["aws_secret_access_key"].map {
                AWSCredentialSource.fixed(AWSCredentials(accessKeyID: keyID, secretAccessKey: $0, sessionToken: profile["aws_session_token"]),
                                          origin: "\(shown) of \(profiles.shownCredentials) or \(profiles.shownConfig)")
            }
        }
        guard let role = profile["role_arn"] else {
            if let keys { return keys }
            if let command = profile["credential_process"] { return .temporary(try processSource(command, origin: shown)) }
            return nil
        }
        // A profile that is its own source_profile uses its keys to assume its role (as the CLI does).
        if visited.contains(name), let keys { return keys }
        let session = sessionName(profile["role_session_name"])
        if let tokenFile = profile["web_identity_token_file"] {
            return .temporary(WebIdentityCredentials(tokenFile: tokenFile, roleARN: role, sessionName: session, sts: sts, origin: shown))
        }
        let source: AWSCredentialSource
        if let sourceName = profile["source_profile"] {
            guard visited.count < 8, !visited.contains(sourceName) || sourceName == name else {
                throw problem("has a source_profile loop (\((visited + [name, sourceName]).map(profiles.shown).joined(separator: " -> ")))")
            }
            guard let sourceProfile = profiles.profile(sourceName),
                  let found = try self.source(profile: sourceProfile, named: sourceName, visited: visited + [name]) else {
                throw problem("names source_profile \(profiles.shown(sourceName)), which has no credentials")
            }
            source = found
        } else if let kind = profile["credential_source"] {
            switch kind {
            case "Environment":
                guard let keys = try keysFromSettings() else { throw problem("has credential_source Environment but AWS_ACCESS_KEY_ID is not set") }
                source = keys
            case "EcsContainer":
                guard let container = try containerSource() else {
                    throw problem("has credential_source EcsContainer but AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set")
                }
                source = .temporary(container)
            case "Ec2InstanceMetadata":
                source = .temporary(InstanceMetadataCredentials(endpoint: settings.value(of: .awsEC2MetadataServiceEndpoint)?.text
                                                                ?? InstanceMetadataCredentials.defaultEndpoint))
            default:
                throw problem("has credential_source \(kind.sanitizedServerText(limit: 64)): use Environment, EcsContainer or Ec2InstanceMetadata")
            }
        } else {
            throw problem("has role_arn but no source_profile, credential_source or web_identity_token_file to assume it with")
        }
        return .temporary(AssumedRoleCredentials(roleARN: role, sessionName: session, externalID: profile["external_id"],
                                                 source: source, sts: sts, origin: shown))
    }

    /// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on the ECS agent), else AWS_CONTAINER_CREDENTIALS_FULL_URI when it is
    /// safe to send a token to (`ContainerCredentials.problem`), with the authorization token file or token.
    private func containerSource() throws -> ContainerCredentials? {
        let url: String
        if let relative = settings.value(of: .awsContainerCredentialsRelativeURI) {
            guard relative.text.hasPrefix("/") else {
                throw settings.invalid(.awsContainerCredentialsRelativeURI, relative, "does not start with /")
            }
            url = ContainerCredentials.ecsHost + relative.text
        } else if let full = settings.value(of: .awsContainerCredentialsFullURI) {
            if let problem = ContainerCredentials.problem(fullURI: full.text) { throw settings.invalid(.awsContainerCredentialsFullURI, full, problem) }
            url = full.text
        } else {
            return nil
        }
        let authorization: ContainerCredentials.Authorization? =
            settings.value(of: .awsContainerAuthorizationTokenFile).map { .tokenFile($0.text) }
            ?? settings.value(of: .awsContainerAuthorizationToken).map { .token($0.text) }
        return ContainerCredentials(url: url, authorization: authorization)
    }

    private func metadataDisabled() throws -> Bool {
        guard let value = settings.value(of: .awsEC2MetadataDisabled) else { return false }
        switch value.text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw settings.invalid(.awsEC2MetadataDisabled, value, "is not true or false")
        }
    }

    /// `environment` without our secrets: no TAILTOWN_* setting, no secret setting (keys, tokens, the notify URL), no PGPASSWORD.
    static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { name, _ in
            !SettingDefinition.isReserved(name) && SettingDefinition.named(name)?.isSecret != true && name != "PGPASSWORD"
        }
    }

    /// The profile's role_session_name, else AWS_ROLE_SESSION_NAME, else tailtown-pitr-UID: the same in every process,
    /// so the cache serves them all, and naming the user in CloudTrail.
    private func sessionName(_ fromProfile: String?) -> String {
        fromProfile ?? settings.value(of: .awsRoleSessionName)?.text ?? "tailtown-pitr-\(geteuid())"
    }

    /// A `credential_process`, given this process's environment without our secrets (`childEnvironment`).
    private func processSource(_ command: String, origin: String) throws -> any CredentialFetcher {
        guard let process = ProcessCredentials(command: command, environment: Self.childEnvironment(ProcessEnvironment.current()), origin: origin) else {
            throw S3Error.configuration(setting: origin, problem: "has a credential_process that is empty or has an unterminated quote")
        }
        return process
    }
}
