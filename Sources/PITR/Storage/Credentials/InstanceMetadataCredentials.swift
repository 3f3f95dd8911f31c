import PITRNative
import PITRSupport

/// The role of an EC2 instance, from its metadata service with IMDSv2 session tokens: PUT /latest/api/token, then
/// the role's name and its credentials. Short timeouts and one attempt each, so that on a machine that is not on
/// EC2 the chain's last link fails in about a second.
package struct InstanceMetadataCredentials: CredentialFetcher {
    /// AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254.
    let endpoint: String

    package static let defaultEndpoint = "http://169.254.169.254"

    package init(endpoint: String) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
    }

    package var description: String { "EC2 instance metadata (IMDSv2 at \(endpoint))" }
    package var cacheIdentity: String { "instance-metadata\n\(endpoint)" }

    package func fetch(log: Log) throws -> AWSCredentials {
        let options = HTTPClientOptions(connectTimeoutMilliseconds: 1_000, stallSeconds: 2, timeoutMilliseconds: 2_000)
        let once = RetryPolicy(maxRetries: 0, budgetSeconds: 2)
        let tokenAnswer = try exchange(HTTPRequest(method: "PUT", url: "\(endpoint)/latest/api/token",
                                                   headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")]),
                                       body: [], options: options, retry: once, log: log)
        guard tokenAnswer.isSuccess, !tokenAnswer.body.isEmpty else {
            throw unavailable("PUT /latest/api/token answered HTTP \(tokenAnswer.status) (IMDSv2 is required)")
        }
        let token = String(decoding: tokenAnswer.body, as: UTF8.self).filter { !$0.isNewline && $0 != " " }
        let headers = [(name: "X-aws-ec2-metadata-token", value: token)]
        let folder = "\(endpoint)/latest/meta-data/iam/security-credentials/"
        let roles = try exchange(HTTPRequest(method: "GET", url: folder, headers: headers), options: options, retry: once, log: log)
        guard roles.isSuccess else {
            throw unavailable("the instance has no role (GET /latest/meta-data/iam/security-credentials/ answered HTTP \(roles.status)): attach an instance profile")
        }
        guard let role = String(decoding: roles.body, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init),
              !role.isEmpty, !role.contains("/") else {
            throw unavailable("the instance has no role: attach an instance profile")
        }
        let answer = try exchange(HTTPRequest(method: "GET", url: folder + URIEncoding.encode(role, keepSlash: false), headers: headers),
                                  options: options, retry: once, log: log)
        guard answer.isSuccess else { throw unavailable("the credentials of role \(role) answered HTTP \(answer.status)") }
        if let code = (try? JSONValue.parse(answer.body))?["Code"]?.string, code != "Success" {
            throw unavailable("the credentials of role \(role) are not available (Code \(code.sanitizedServerText(limit: 64)))")
        }
        return try credentials(fromJSON: answer.body, tokenKey: "Token", requireExpiration: true)
    }
}
