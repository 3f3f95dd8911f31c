import PITRNative
import PITRSupport

/// Signed S3 requests over one reused HTTP connection, with retries of transient failures.
final class S3Client {
    let configuration: S3Configuration
    let log: Log
    private let http: HTTPClient
    /// One exchange at a time on the connection: a reader's first chunk downloads through it on a thread of its own
    /// (`S3ObjectReader`), and a request sent meanwhile waits for that exchange to end.
    private let connection = ConditionLock()
    /// Every attempt, retries included: each one is billed.
    private(set) var requests = RequestCounts()

    /// One S3 request. `key` is the full object key (prefix included), "" for the bucket.
    struct Operation {
        var method: String
        var key: String
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: [UInt8]?
        /// Statuses returned to the caller instead of thrown (404 for HEAD, 412 for a conditional PUT...).
        var accepting: Set<Int> = []
        /// Hex SHA-256 of the body, signed: bodies are always buffered (at most one part), and
        /// SHA-256 runs at 2 GB/s here, faster than the MD5 that UNSIGNED-PAYLOAD would need.
        let payloadHash: String

        /// `checksummed` adds the body's SHA-256 as S3's integrity checksum (`x-amz-checksum-sha256`), which Object Lock
        /// requires of every PUT and UploadPart; the digest is the one signed, computed once.
        init(method: String, key: String, query: [(name: String, value: String)] = [],
             headers: [(name: String, value: String)] = [], body: [UInt8]? = nil, accepting: Set<Int> = [], checksummed: Bool = false) throws {
            self.method = method
            self.key = key
            self.query = query
            self.headers = headers
            self.body = body
            self.accepting = accepting
            let digest = try body.map { try SHA256Hasher.digest($0) }
            payloadHash = digest?.lowercaseHex ?? SigV4Signer.emptyPayloadHash
            if checksummed, let digest {
                self.headers += [("x-amz-sdk-checksum-algorithm", "SHA256"), ("x-amz-checksum-sha256", Base64.encode(digest))]
            }
        }

        /// The body's checksum as sent (base64 of its SHA-256), when `checksummed`.
        var checksum: String? { headers.first { $0.name == "x-amz-checksum-sha256" }?.value }
    }

    init(configuration: S3Configuration, log: Log) throws {
        self.configuration = configuration
        self.log = log
        http = try HTTPClient(options: configuration.http)
    }

    /// "s3://bucket/key", for messages.
    func describe(_ key: String) -> String {
        "s3://\(configuration.bucket)/\(key)"
    }

    /// One attempt, no retry, but for one more with fresh credentials when S3 refused temporary ones
    /// (`AWSCredentialProvider.refreshed`). Throws `S3Error.refused` for a status that is neither 2xx nor
    /// accepted, `CredentialError` when fresh credentials were refused too or could not be had,
    /// `HTTPTransportError` when no whole answer came, or what `receive` threw.
    func attempt(_ operation: Operation, receive: ((_ answer: HTTPResponse, UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> HTTPResponse {
        try connection.locked { try attemptAlone(operation, receive: receive) }
    }

    private func attemptAlone(_ operation: Operation, receive: ((_ answer: HTTPResponse, UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        let credentials = try configuration.credentials.credentials()
        var response = try exchange(operation, signedWith: credentials, receive: receive)
        // Before any status the caller accepts: a GET's 403 may be stale credentials rather than a missing object.
        if response.status == 400 || response.status == 403, let code = refusal(operation, response).code,
           let fresh = try configuration.credentials.refreshed(afterRefusalOf: credentials, code: code, status: response.status) {
            response = try exchange(operation, signedWith: fresh, receive: receive)
            if let code = refusal(operation, response).code, !response.isSuccess, AWSCredentialProvider.tokenCodes.contains(code) {
                throw CredentialError.refusedAfterRefresh(source: configuration.credentials.sourceDescription,
                                                          request: "\(operation.method) \(describe(operation.key))", code: code)
            }
        }
        if response.isSuccess || operation.accepting.contains(response.status) { return response }
        throw refusal(operation, response)
    }

    private func exchange(_ operation: Operation, signedWith credentials: AWSCredentials,
                          receive: ((_ answer: HTTPResponse, UnsafeRawBufferPointer) throws -> Void)?) throws -> HTTPResponse {
        let endpoint = configuration.endpoint
        var request = SigV4Signer.Request(
            method: operation.method,
            path: endpoint.path(bucket: configuration.bucket, key: operation.key),
            query: operation.query,
            headers: [("Host", endpoint.hostHeader(bucket: configuration.bucket))] + operation.headers)
        if operation.body != nil, !operation.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            request.headers.append(("Content-Type", "application/octet-stream"))
        }
        let signer = SigV4Signer(credentials: credentials, region: configuration.region, service: "s3", mode: .s3)
        try signer.sign(&request, payloadHash: operation.payloadHash, at: AWSTimestamp.now())
        let query = request.encodedQuery
        let url = "\(endpoint.scheme)://\(request.headers[0].value)\(request.path)\(query.isEmpty ? "" : "?" + query)"
        requests.count(method: operation.method, query: operation.query)
        let clock = Stopwatch()
        // Method, object and outcome only: never a header, so never a signature or a token.
        let shown = "\(operation.method) \(describe(operation.key))\(query.isEmpty ? "" : "?" + query)"
        let milliseconds = { Int(clock.seconds * 1000) }
        let response: HTTPResponse
        do {
            let signed = HTTPRequest(method: operation.method, url: url, headers: request.headers)
            if let body = operation.body {
                response = try body.withUnsafeBytes { try http.perform(signed, body: $0, receive: receive) }
            } else {
                response = try http.perform(signed, receive: receive)
            }
        } catch {
            log.debug("\(shown) -> \(error) after \(milliseconds()) ms")
            throw error
        }
        log.debug("\(shown) -> \(response.status) in \(milliseconds()) ms")
        return response
    }

    /// `attempt` retried while it fails transiently, within the retry policy.
    func send(_ operation: Operation) throws -> HTTPResponse {
        try retrying("\(operation.method) \(describe(operation.key))") { _ in try attempt(operation) }
    }

    /// Runs `body` (given the attempt number, from 0) until it succeeds, throws a permanent
    /// error, or the retries or the time budget run out (`RetryPolicy.run`).
    func retrying<T>(_ what: String, _ body: (Int) throws -> T) throws -> T {
        try configuration.retry.run(what, log: log, isTransient: S3Client.isTransient, body)
    }

    static func isTransient(_ error: Error) -> Bool {
        switch error {
        case let error as HTTPTransportError: error.isTransient
        case let error as S3Error: error.isTransient
        default: false
        }
    }

    /// The error for a refused request, with S3's code and message from the XML error body
    /// (HEAD answers have none: the status stands in).
    func refusal(_ operation: Operation, _ response: HTTPResponse) -> S3Error {
        let xml = Substring(String(decoding: response.body, as: UTF8.self))
        let code = S3XML.value("Code", in: xml) ?? S3Client.statusCode(response.status)
        let message = S3XML.value("Message", in: xml) ?? ""
        return .refused(request: "\(operation.method) \(describe(operation.key))", status: response.status, code: code, message: message)
    }

    /// A 404 that means "no such key", as opposed to "no such bucket" (or upload): only
    /// that one may read as the end of the archive. HEAD answers carry no body to tell.
    func isMissingKey(_ response: HTTPResponse) -> Bool {
        guard response.status == 404 else { return false }
        let code = S3XML.value("Code", in: Substring(String(decoding: response.body, as: UTF8.self)))
        return code == nil || code == "NoSuchKey" || code == "NotFound"
    }

    private static func statusCode(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 412: "PreconditionFailed"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }
}
