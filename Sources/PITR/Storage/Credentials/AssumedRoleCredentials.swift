import PITRSupport

/// A profile's `role_arn` with `source_profile` (or `credential_source`): STS AssumeRole, signed with the source's
/// credentials (themselves from the chain: keys, another role, a program, instance metadata...).
package struct AssumedRoleCredentials: CredentialFetcher {
    let roleARN: String
    let sessionName: String
    let externalID: String?
    let source: AWSCredentialSource
    let sts: STSEndpoint
    /// "profile 'x'", for messages.
    let origin: String

    package init(roleARN: String, sessionName: String, externalID: String?, source: AWSCredentialSource, sts: STSEndpoint, origin: String) {
        self.roleARN = roleARN
        self.sessionName = sessionName
        self.externalID = externalID
        self.source = source
        self.sts = sts
        self.origin = origin
    }

    package var description: String { "assumed role (role \(roleARN) of \(origin), as \(source.description), via STS at \(sts.url))" }
    package var cacheIdentity: String { "assume-role\n\(roleARN)\n\(sessionName)\n\(externalID ?? "")\n\(sts.url)\n\(source.cacheIdentity)" }

    package func fetch(log: Log) throws -> AWSCredentials {
        let signing = try source.fetchUncached(log: log)
        var parameters = [("Action", "AssumeRole"), ("RoleArn", roleARN), ("RoleSessionName", sessionName)]
        if let externalID { parameters.append(("ExternalId", externalID)) }
        return try sts.call(parameters, signer: SigV4Signer(credentials: signing, region: sts.region, service: "sts", mode: .generic), for: self, log: log)
    }
}
