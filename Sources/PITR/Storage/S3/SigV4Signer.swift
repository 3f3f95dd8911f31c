import PITRNative

/// AWS Signature Version 4 in header form (the Authorization header).
///
/// S3 signs differently from the other services, hence two modes:
/// - `.s3`: the canonical URI is the request's path exactly as sent (encoded once, never
///   normalised, so "a//b" and "./x" are distinct keys), and the payload hash is sent in
///   `x-amz-content-sha256`, which is signed.
/// - `.generic`: the canonical URI is the path with dot segments and repeated slashes
///   removed, then percent-encoded again ("double encoding").
public struct SigV4Signer: Sendable {
    public enum Mode: Sendable { case s3, generic }

    /// The hash S3 accepts in place of a payload's SHA-256 (over TLS, with another checksum).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of no bytes: the payload hash of GET, HEAD and DELETE.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: AWSCredentials
    public let region: String
    public let service: String
    public let mode: Mode

    public init(credentials: AWSCredentials, region: String, service: String = "s3", mode: Mode = .s3) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.mode = mode
    }

    /// A request to sign: `path` as sent on the wire (already percent-encoded for S3),
    /// `query` as decoded name/value pairs, headers including Host.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(name: String, value: String)]
        public var headers: [(name: String, value: String)]

        public init(method: String, path: String, query: [(name: String, value: String)] = [],
                    headers: [(name: String, value: String)] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
        }

        /// The query string as sent, encoded like the canonical one.
        public var encodedQuery: String {
            query.map { URIEncoding.encode($0.name, keepSlash: false) + "=" + URIEncoding.encode($0.value, keepSlash: false) }
                .joined(separator: "&")
        }
    }

    /// Adds X-Amz-Date, X-Amz-Security-Token (temporary credentials), X-Amz-Content-SHA256
    /// (S3 mode) and Authorization to `request`, replacing any earlier ones.
    /// `payloadHash` is the lower-case hex SHA-256 of the body, or `unsignedPayload`.
    public func sign(_ request: inout Request, payloadHash: String, at timestamp: AWSTimestamp) throws {
        let replaced: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]
        request.headers.removeAll { replaced.contains($0.name.lowercased()) }
        request.headers.append((name: "X-Amz-Date", value: timestamp.amzDate))
        if let token = credentials.sessionToken {
            request.headers.append((name: "X-Amz-Security-Token", value: token))
        }
        if mode == .s3 {
            request.headers.append((name: "X-Amz-Content-SHA256", value: payloadHash))
        }
        let canonical = canonicalRequest(request, payloadHash: payloadHash)
        let signature = try sign(stringToSign(canonicalRequest: canonical.text, at: timestamp), at: timestamp)
        request.headers.append((name: "Authorization", value:
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(timestamp)), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"))
    }

    /// The canonical request and its list of signed header names.
    func canonicalRequest(_ request: Request, payloadHash: String) -> (text: String, signedHeaders: String) {
        let headers = canonicalHeaders(request.headers)
        let signedHeaders = headers.map(\.name).joined(separator: ";")
        let text = [
            request.method,
            canonicalURI(request.path),
            canonicalQuery(request.query),
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return (text, signedHeaders)
    }

    func stringToSign(canonicalRequest: String, at timestamp: AWSTimestamp) throws -> String {
        let hash = try SHA256Hasher.digest(Array(canonicalRequest.utf8)).lowercaseHex
        return "AWS4-HMAC-SHA256\n\(timestamp.amzDate)\n\(scope(timestamp))\n\(hash)"
    }

    private func sign(_ stringToSign: String, at timestamp: AWSTimestamp) throws -> String {
        var key = try HMACSHA256.mac(key: Array("AWS4\(credentials.secretAccessKey)".utf8), Array(timestamp.dateStamp.utf8))
        for part in [region, service, "aws4_request"] {
            key = try HMACSHA256.mac(key: key, Array(part.utf8))
        }
        return try HMACSHA256.mac(key: key, Array(stringToSign.utf8)).lowercaseHex
    }

    private func scope(_ timestamp: AWSTimestamp) -> String {
        "\(timestamp.dateStamp)/\(region)/\(service)/aws4_request"
    }

    func canonicalURI(_ path: String) -> String {
        switch mode {
        case .s3:
            return path.isEmpty ? "/" : path
        case .generic:
            return URIEncoding.encode(SigV4Signer.removingDotSegments(path), keepSlash: true)
        }
    }

    func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        query.map { (URIEncoding.encode($0.name, keepSlash: false), URIEncoding.encode($0.value, keepSlash: false)) }
            .sorted { $0.0 == $1.0 ? Array($0.1.utf8).lexicographicallyPrecedes(Array($1.1.utf8))
                                   : Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Lower-cased names, sorted; values trimmed with inner whitespace runs (folded lines
    /// included) collapsed to one space; repeated names joined with commas.
    func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var merged: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            let clean = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0.isNewline }).joined(separator: " ")
            merged[key] = merged[key].map { "\($0),\(clean)" } ?? clean
        }
        return merged.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { (name: $0.key, value: $0.value) }
    }

    /// RFC 3986 dot-segment removal with empty segments dropped, keeping the leading and
    /// trailing slash: "/a/./b/../c//" becomes "/a/c/".
    static func removingDotSegments(_ path: String) -> String {
        if path.isEmpty { return "/" }
        var kept: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !kept.isEmpty { kept.removeLast() }
                continue
            }
            kept.append(segment)
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !kept.isEmpty ? "/" : ""
        return leading + kept.joined(separator: "/") + trailing
    }
}
