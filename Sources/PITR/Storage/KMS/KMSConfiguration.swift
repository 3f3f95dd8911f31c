import PITRNative

/// Where and as whom the KMS client calls AWS KMS, resolved from settings (`Settings.kmsConfiguration`).
public struct KMSConfiguration: Sendable {
    /// http(s)://host[:port] of the KMS API: AWS's regional endpoint, a VPC endpoint, or a test server.
    public var endpoint: S3Endpoint
    public var region: String
    public var credentials: AWSCredentialProvider
    /// KMS sits in the path of every per-segment process that starts without a cached key: a few quick
    /// retries, then the caller turns to the second wrapping instead of waiting for minutes.
    public var retry: RetryPolicy
    public var http: HTTPClientOptions

    public init(endpoint: S3Endpoint, region: String, credentials: AWSCredentialProvider,
                retry: RetryPolicy = RetryPolicy(maxRetries: 2, budgetSeconds: 10, baseDelaySeconds: 0.1, maxDelaySeconds: 1),
                http: HTTPClientOptions = HTTPClientOptions(connectTimeoutMilliseconds: 5_000, stallSeconds: 10)) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.retry = retry
        self.http = http
    }

    /// AWS's regional endpoint, https://kms.REGION.amazonaws.com.
    public static func awsEndpoint(region: String) -> S3Endpoint {
        S3Endpoint(scheme: "https", host: "kms.\(region).amazonaws.com", style: .path)
    }

    /// "https://host[:port]", for messages.
    public var endpointDescription: String {
        "\(endpoint.scheme)://\(endpoint.hostHeader(bucket: ""))"
    }
}
