/// Where requests go: scheme, host and port of the S3 API, and how the bucket is addressed.
public struct S3Endpoint: Sendable, Equatable {
    public enum Style: Sendable, Equatable {
        /// https://host/bucket/key, for custom endpoints (MinIO, Ceph...) and buckets with dots.
        case path
        /// https://bucket.host/key, AWS's default.
        case virtualHost
    }

    public let scheme: String
    public let host: String
    public let port: Int?
    public let style: Style

    public init(scheme: String, host: String, port: Int? = nil, style: Style) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.style = style
    }

    /// AWS's regional endpoint, virtual-host style unless the bucket name holds dots
    /// (which TLS wildcard certificates do not cover).
    public static func aws(region: String, bucket: String) -> S3Endpoint {
        S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com", style: bucket.contains(".") ? .path : .virtualHost)
    }

    /// Parses "http(s)://host[:port][/]" (AWS_ENDPOINT_URL); nil when it is not one.
    public static func parse(_ url: String, style: Style) -> S3Endpoint? {
        guard let separator = url.firstRange(of: "://") else { return nil }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var authority = url[separator.upperBound...]
        while authority.hasSuffix("/") { authority.removeLast() }
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@") else { return nil }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else { return nil }
            return S3Endpoint(scheme: scheme, host: String(authority[..<colon]), port: port, style: style)
        }
        return S3Endpoint(scheme: scheme, host: String(authority), style: style)
    }

    /// The Host header for `bucket`, as curl derives it from the URL (port only when not the default).
    func hostHeader(bucket: String) -> String {
        let name = style == .virtualHost ? "\(bucket).\(host)" : host
        guard let port, port != (scheme == "https" ? 443 : 80) else { return name }
        return "\(name):\(port)"
    }

    /// The request path for `key` (unencoded; empty for the bucket itself), encoded once as S3 signs it.
    func path(bucket: String, key: String) -> String {
        let encodedKey = URIEncoding.encode(key, keepSlash: true)
        return style == .virtualHost ? "/\(encodedKey)" : "/\(bucket)/\(encodedKey)"
    }
}
