import PITRNative
import PITRSupport

/// A source of temporary credentials in the chain (STS, a container or instance metadata endpoint, a program):
/// fetched when needed, then cached across processes by `AWSCredentialProvider`.
package protocol CredentialFetcher: Sendable {
    /// What `config` and messages show: the kind, the role, the endpoint; never a secret or a token.
    var description: String { get }
    /// What tells two configurations apart for the cache (role, profile, endpoint...): two that differ never share.
    var cacheIdentity: String { get }
    /// Fetches fresh credentials; throws `CredentialError` naming the source.
    func fetch(log: Log) throws -> AWSCredentials
}

extension CredentialFetcher {
    func unavailable(_ problem: String) -> CredentialError {
        .unavailable(source: description, problem: problem)
    }

    /// Sends `request` (with `body`) on a client of its own with `options`, retried as `retry` says while it fails
    /// transiently (no connection, a 5xx, throttling); answers with any other status are returned as they are.
    func exchange(_ request: HTTPRequest, body: [UInt8]? = nil, options: HTTPClientOptions, retry: RetryPolicy, log: Log) throws -> HTTPResponse {
        let http = try HTTPClient(options: options)
        let shown = "\(request.method) \(request.url)"
        do {
            return try retry.run(shown, log: log, isTransient: { ($0 as? HTTPTransportError)?.isTransient ?? ($0 is TransientStatus) }) { _ in
                let clock = Stopwatch()
                let response = try body.map { bytes in try bytes.withUnsafeBytes { try http.perform(request, body: $0) } } ?? http.perform(request)
                // Never the body: it holds the credentials.
                log.debug("\(shown) -> \(response.status) in \(Int(clock.seconds * 1000)) ms")
                if response.status >= 500 || response.status == 429 { throw TransientStatus(status: response.status) }
                return response
            }
        } catch let error as StorageError {
            throw unavailable(error.description)
        } catch let error as HTTPTransportError {
            throw unavailable(error.description)
        }
    }

    /// Credentials from the JSON document that container endpoints, instance metadata and credential processes
    /// answer with (AccessKeyId, SecretAccessKey, the token under `tokenKey`, Expiration).
    func credentials(fromJSON bytes: [UInt8], tokenKey: String, requireExpiration: Bool) throws -> AWSCredentials {
        guard let document = try? JSONValue.parse(bytes) else { throw unavailable("the answer is not JSON") }
        guard let keyID = document["AccessKeyId"]?.string, let secret = document["SecretAccessKey"]?.string, !keyID.isEmpty, !secret.isEmpty else {
            throw unavailable("the answer has no AccessKeyId and SecretAccessKey")
        }
        var expiration: UTCTime?
        if let text = document["Expiration"]?.string {
            guard let parsed = AWSCredentials.expiration(text) else { throw unavailable("the answer's Expiration is not an ISO 8601 UTC time") }
            expiration = parsed
        } else if requireExpiration {
            throw unavailable("the answer has no Expiration")
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: document[tokenKey]?.string, expiration: expiration)
    }
}

/// A 5xx or 429 answer from a credential endpoint, which another attempt may get past.
struct TransientStatus: Error, CustomStringConvertible {
    let status: Int
    var description: String { "HTTP \(status)" }
}
