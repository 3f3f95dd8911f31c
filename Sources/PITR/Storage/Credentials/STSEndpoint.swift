import PITRNative
import PITRSupport

/// Where STS is called: AWS_ENDPOINT_URL_STS, else the regional endpoint https://sts.REGION.amazonaws.com
/// (never the global one, which works only in some partitions and adds a round trip to us-east-1).
public struct STSEndpoint: Sendable, Equatable {
    public let endpoint: S3Endpoint
    public let region: String
    /// The CA bundle (PEM) a private endpoint's certificate is verified with; nil for the system's.
    public let caFile: String?

    public init(endpoint: S3Endpoint, region: String, caFile: String? = nil) {
        self.endpoint = endpoint
        self.region = region
        self.caFile = caFile
    }

    public static func regional(_ region: String) -> STSEndpoint {
        STSEndpoint(endpoint: S3Endpoint(scheme: "https", host: "sts.\(region).amazonaws.com", style: .path), region: region)
    }

    /// "https://host[:port]", for messages and the cache's identity.
    public var url: String { "\(endpoint.scheme)://\(endpoint.hostHeader(bucket: ""))" }

    /// STS's Query API: a form-encoded POST, signed with `signer` (AssumeRole) or not (AssumeRoleWithWebIdentity, whose
    /// token is the proof). Returns the credentials of the answer's <Credentials>.
    func call(_ parameters: [(String, String)], signer: SigV4Signer?, for fetcher: some CredentialFetcher, log: Log) throws -> AWSCredentials {
        let body = Array((parameters + [("Version", "2011-06-15")])
            .map { URIEncoding.encode($0.0, keepSlash: false) + "=" + URIEncoding.encode($0.1, keepSlash: false) }
            .joined(separator: "&").utf8)
        var request = SigV4Signer.Request(method: "POST", path: "/", headers: [
            ("Host", endpoint.hostHeader(bucket: "")),
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ])
        if let signer { try signer.sign(&request, payloadHash: try SHA256Hasher.digest(body).lowercaseHex, at: AWSTimestamp.now()) }
        let response = try fetcher.exchange(HTTPRequest(method: "POST", url: url + "/", headers: request.headers), body: body,
                                            options: HTTPClientOptions(caFile: caFile, connectTimeoutMilliseconds: 3_000, stallSeconds: 10, timeoutMilliseconds: 15_000),
                                            retry: RetryPolicy(maxRetries: 2, budgetSeconds: 15, baseDelaySeconds: 0.2, maxDelaySeconds: 2), log: log)
        let xml = Substring(String(decoding: response.body, as: UTF8.self))
        guard response.isSuccess else {
            let code = S3XML.value("Code", in: xml) ?? "HTTP\(response.status)"
            let message = S3XML.value("Message", in: xml).map { ": \($0.sanitizedServerText(limit: 300))" } ?? ""
            throw fetcher.unavailable("STS at \(url) answered HTTP \(response.status) \(code.sanitizedServerText(limit: 64))\(message)")
        }
        guard let credentials = S3XML.elements("Credentials", in: xml).first,
              let keyID = S3XML.value("AccessKeyId", in: credentials), let secret = S3XML.value("SecretAccessKey", in: credentials),
              let token = S3XML.value("SessionToken", in: credentials) else {
            throw fetcher.unavailable("STS at \(url) answered without Credentials")
        }
        guard let expiration = S3XML.value("Expiration", in: credentials).flatMap(AWSCredentials.expiration) else {
            throw fetcher.unavailable("STS at \(url) answered without a valid Expiration")
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }
}
