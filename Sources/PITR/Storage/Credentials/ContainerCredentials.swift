import PITRNative
import PITRSupport

/// The credentials endpoint of a container: ECS task roles (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, on
/// 169.254.170.2) and EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI on 169.254.170.23, with
/// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE). The authorization token file is read anew at each fetch (it is rotated).
package struct ContainerCredentials: CredentialFetcher {
    package enum Authorization: Sendable {
        case token(String)
        case tokenFile(String)
    }

    let url: String
    let authorization: Authorization?

    /// The ECS agent's address, which AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is relative to.
    package static let ecsHost = "http://169.254.170.2"

    package init(url: String, authorization: Authorization?) {
        self.url = url
        self.authorization = authorization
    }

    /// Why `url` (AWS_CONTAINER_CREDENTIALS_FULL_URI) may not be asked for credentials, or nil when it may: over https,
    /// or over http only to loopback or the container endpoints 169.254.170.2 and 169.254.170.23, so that the
    /// authorization token and the credentials never cross a network in clear.
    package static func problem(fullURI url: String) -> String? {
        guard let endpoint = authority(of: url) else { return "is not an http(s) URL" }
        if endpoint.scheme == "https" { return nil }
        let host = endpoint.host.lowercased()
        let allowed = host == "localhost" || host.hasPrefix("127.") || host == "[::1]" || host == "169.254.170.2"
            || host == "169.254.170.23" || host == "[fd00:ec2::23]"
        return allowed ? nil : "uses http to \(endpoint.host): use https, or http only to a loopback address, 169.254.170.2 (ECS) or 169.254.170.23 (EKS Pod Identity)"
    }

    /// The scheme and authority of "http(s)://authority/path...".
    private static func authority(of url: String) -> S3Endpoint? {
        guard let separator = url.firstRange(of: "://") else { return nil }
        let rest = url[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        return S3Endpoint.parse(String(url[..<separator.upperBound] + authority), style: .path)
    }

    package var description: String {
        let token = switch authorization {
        case .token: ", with AWS_CONTAINER_AUTHORIZATION_TOKEN"
        case .tokenFile(let path): ", with the token of \(path)"
        case nil: ""
        }
        return "container credentials (\(url)\(token))"
    }

    package var cacheIdentity: String {
        let token = switch authorization {
        case .token: "token"
        case .tokenFile(let path): "token-file \(path)"
        case nil: ""
        }
        return "container\n\(url)\n\(token)"
    }

    package func fetch(log: Log) throws -> AWSCredentials {
        var headers: [(name: String, value: String)] = []
        switch authorization {
        case .token(let token):
            headers.append(("Authorization", token))
        case .tokenFile(let path):
            do {
                headers.append(("Authorization", String(decoding: try FileSystem.readFile(path), as: UTF8.self).trimmingSpaces().filter { !$0.isNewline }))
            } catch let error as IOError {
                throw unavailable("the authorization token file cannot be read: \(String(cString: strerror(error.code)))")
            }
        case nil:
            break
        }
        guard !headers.contains(where: { $0.value.contains { $0.isNewline } }) else { throw unavailable("the authorization token holds a line break") }
        let response = try exchange(HTTPRequest(method: "GET", url: url, headers: headers),
                                    options: HTTPClientOptions(connectTimeoutMilliseconds: 2_000, stallSeconds: 5, timeoutMilliseconds: 5_000),
                                    retry: RetryPolicy(maxRetries: 2, budgetSeconds: 10, baseDelaySeconds: 0.1, maxDelaySeconds: 1), log: log)
        guard response.isSuccess else { throw unavailable("the endpoint answered HTTP \(response.status)") }
        return try credentials(fromJSON: response.body, tokenKey: "Token", requireExpiration: true)
    }
}
