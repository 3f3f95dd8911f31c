import PITRSupport

/// A role assumed with a web identity token (EKS IRSA, and any OIDC provider): STS AssumeRoleWithWebIdentity with the
/// token read anew from its file at each fetch (the kubelet rotates it), unsigned: the token is the proof.
package struct WebIdentityCredentials: CredentialFetcher {
    let tokenFile: String
    let roleARN: String
    let sessionName: String
    let sts: STSEndpoint
    /// "AWS_WEB_IDENTITY_TOKEN_FILE" or "profile 'x'": where the settings came from, for messages.
    let origin: String

    package init(tokenFile: String, roleARN: String, sessionName: String, sts: STSEndpoint, origin: String) {
        self.tokenFile = tokenFile
        self.roleARN = roleARN
        self.sessionName = sessionName
        self.sts = sts
        self.origin = origin
    }

    package var description: String { "web identity (role \(roleARN), token file \(tokenFile) from \(origin), via STS at \(sts.url))" }
    package var cacheIdentity: String { "web-identity\n\(roleARN)\n\(sessionName)\n\(tokenFile)\n\(sts.url)" }

    package func fetch(log: Log) throws -> AWSCredentials {
        let token: String
        do {
            token = String(decoding: try FileSystem.readFile(tokenFile), as: UTF8.self).trimmingSpaces()
                .filter { !$0.isNewline }
        } catch let error as IOError {
            throw unavailable("the token file cannot be read: \(String(cString: strerror(error.code)))")
        }
        guard !token.isEmpty else { throw unavailable("the token file is empty") }
        return try sts.call([("Action", "AssumeRoleWithWebIdentity"), ("RoleArn", roleARN), ("RoleSessionName", sessionName),
                             ("WebIdentityToken", token)], signer: nil, for: self, log: log)
    }
}
