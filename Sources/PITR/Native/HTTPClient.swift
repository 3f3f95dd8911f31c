import CCurl
import PITRSupport

/// One HTTP request as the wire sees it: the URL is already percent-encoded.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]

    public init(method: String, url: String, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.url = url
        self.headers = headers
    }
}

/// The status and headers of an answer. `body` holds the answer's body when the request
/// had no receiver or the status is not 2xx (an error document), capped at 1 MiB.
public struct HTTPResponse: Sendable {
    public var status: Int = 0
    /// Header names are lower-cased; values are trimmed.
    public var headers: [(name: String, value: String)] = []
    public var body: [UInt8] = []

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The first header called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }
}

/// Connection settings of an `HTTPClient`. TLS peer and host verification are always on.
public struct HTTPClientOptions: Sendable {
    /// An extra CA bundle (PEM) for private endpoints; nil uses the system's: its CA directory where libcurl has one
    /// built in (Debian's /etc/ssl/certs), else its bundle.
    public var caFile: String?
    public var connectTimeoutMilliseconds: Int = 10_000
    /// A transfer slower than 1 byte/s for this long is abandoned as stalled.
    public var stallSeconds: Int = 30
    /// The most a whole request may take, nil for no limit: the metadata endpoints of the credential chain
    /// must fail fast on a machine that has none.
    public var timeoutMilliseconds: Int?

    public init(caFile: String? = nil, connectTimeoutMilliseconds: Int = 10_000, stallSeconds: Int = 30, timeoutMilliseconds: Int? = nil) {
        self.caFile = caFile
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.stallSeconds = stallSeconds
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// A failure below HTTP: no connection, TLS, a reset, a stall, a body cut short.
public struct HTTPTransportError: PITRError, Equatable {
    public let code: Int
    public let message: String
    /// The method and URL, which never hold a secret (signatures travel in headers).
    public let request: String
    /// Whether trying again may help (a reset or a timeout may; a bad certificate will not).
    public let isTransient: Bool

    /// libcurl's message may quote what the peer sent: made safe for one log line (`sanitizedServerText`).
    public var description: String { "\(request) failed: \(message.sanitizedServerText(limit: 300))" }
}

/// An HTTP/1.1 client on one libcurl easy handle, reused for every request of the process
/// so that one connection (and one TLS session) serves them all. Not thread-safe.
public final class HTTPClient {
    /// libcurl's version and the TLS library it uses, as linked in ("libcurl/7.88.1 OpenSSL/3.0.19").
    public static var libraryVersion: String { String(cString: curl_version()) }

    private let handle: UnsafeMutableRawPointer
    private let options: HTTPClientOptions
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Whether libcurl has a CA directory built in. With one, the built-in bundle is left out: OpenSSL parses every
    /// certificate of a bundle (about 140) at each process's first handshake, while from a hashed directory it loads
    /// only the issuers the server's chain needs.
    private let hasCADirectory: Bool
    /// Connections opened so far: 1 after any number of requests to one server that keeps them alive.
    public private(set) var connectionsOpened = 0

    public init(options: HTTPClientOptions = HTTPClientOptions()) throws {
        guard let handle = curl_easy_init() else {
            throw HTTPTransportError(code: -1, message: "curl_easy_init failed", request: "HTTP client", isTransient: false)
        }
        self.handle = handle
        self.options = options
        var directory: UnsafeMutablePointer<CChar>?
        hasCADirectory = tt_curl_getinfo_string(handle, CURLINFO_CAPATH, &directory) == CURLE_OK && directory != nil
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` with `body` (sent with a Content-Length, never chunked) and returns
    /// the answer. A 2xx body goes to `receive` as it arrives, with the answer's status and headers, when one is given;
    /// an error thrown by `receive` aborts the transfer and is rethrown as is.
    /// Throws `HTTPTransportError` when no complete answer arrived.
    public func perform(_ request: HTTPRequest, body: UnsafeRawBufferPointer? = nil,
                        receive: ((_ answer: HTTPResponse, UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> HTTPResponse {
        try withoutActuallyEscaping(receive ?? { _, _ in }) { receiver in
            let exchange = Exchange(receive: receive == nil ? nil : receiver)
            let context = Unmanaged.passRetained(exchange)
            defer { context.release() }
            var headerList: UnsafeMutablePointer<curl_slist>?
            defer { curl_slist_free_all(headerList) }
            try configure(request, body: body, context: context.toOpaque(), headerList: &headerList)
            errorBuffer[0] = 0
            let code = curl_easy_perform(handle)
            if let failure = exchange.failure { throw failure }
            guard code == CURLE_OK else { throw transportError(code, request) }
            var status = 0
            _ = tt_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            var connects = 0
            _ = tt_curl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
            connectionsOpened += connects
            exchange.response.status = status
            return exchange.response
        }
    }

    private func configure(_ request: HTTPRequest, body: UnsafeRawBufferPointer?, context: UnsafeMutableRawPointer,
                           headerList: inout UnsafeMutablePointer<curl_slist>?) throws {
        curl_easy_reset(handle)
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_ERRORBUFFER, UnsafeRawPointer(errorBuffer))
        try set(CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds)
        if let timeout = options.timeoutMilliseconds { try set(CURLOPT_TIMEOUT_MS, timeout) }
        try set(CURLOPT_LOW_SPEED_LIMIT, 1)
        try set(CURLOPT_LOW_SPEED_TIME, options.stallSeconds)
        try set(CURLOPT_TCP_NODELAY, 1)
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = options.caFile {
            try set(CURLOPT_CAINFO, caFile)
        } else if hasCADirectory {
            try check(tt_curl_setopt_ptr(handle, CURLOPT_CAINFO, nil), "CAINFO")
        }
        try check(tt_curl_setopt_callback(handle, CURLOPT_HEADERFUNCTION, headerCallback), "HEADERFUNCTION")
        try check(tt_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, context), "HEADERDATA")
        try check(tt_curl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, writeCallback), "WRITEFUNCTION")
        try check(tt_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context), "WRITEDATA")

        switch request.method {
        case "GET":
            try set(CURLOPT_HTTPGET, 1)
        case "HEAD":
            try set(CURLOPT_NOBODY, 1)
        default:
            try set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body {
            // POSTFIELDS sends from our memory without copying, and curl can resend it
            // by itself when a reused connection turns out to be closed.
            try check(tt_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "POSTFIELDSIZE_LARGE")
            let empty: StaticString = ""
            try check(tt_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafeRawPointer(empty.utf8Start)), "POSTFIELDS")
        }
        // curl adds "Expect: 100-continue" to large bodies, costing a round trip; an empty
        // header removes it, and the default POST content type is never what we send.
        var lines = ["Expect:"]
        if body != nil, !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            lines.append("Content-Type: application/octet-stream")
        }
        lines += request.headers.map { "\($0.name): \($0.value)" }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                throw HTTPTransportError(code: -1, message: "out of memory building headers", request: describe(request), isTransient: false)
            }
            headerList = appended
        }
        try check(tt_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeRawPointer(headerList)), "HTTPHEADER")
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(tt_curl_setopt_long(handle, option, value), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, _ value: String) throws {
        // curl copies string options (since 7.17), so the temporary C string may go.
        try check(value.withCString { tt_curl_setopt_ptr(handle, option, $0) }, "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, _ value: UnsafeRawPointer) throws {
        try check(tt_curl_setopt_ptr(handle, option, value), "option \(option.rawValue)")
    }

    private func check(_ code: CURLcode, _ what: String) throws {
        guard code == CURLE_OK else {
            throw HTTPTransportError(code: Int(code.rawValue), message: "setting \(what): \(Self.message(code))",
                                     request: "HTTP client", isTransient: false)
        }
    }

    private func transportError(_ code: CURLcode, _ request: HTTPRequest) -> HTTPTransportError {
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? Self.message(code) : detail
        return HTTPTransportError(code: Int(code.rawValue), message: message, request: describe(request),
                                  isTransient: HTTPClient.isTransient(code))
    }

    private func describe(_ request: HTTPRequest) -> String { "\(request.method) \(request.url)" }

    private static func message(_ code: CURLcode) -> String {
        curl_easy_strerror(code).map { String(cString: $0) } ?? "curl error \(code.rawValue)"
    }

    /// Failures of the network or the peer, as opposed to our configuration or the
    /// certificate, which no retry repairs.
    static func isTransient(_ code: CURLcode) -> Bool {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_PARTIAL_FILE,
             CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM,
             CURLE_SSL_CONNECT_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_SEND_FAIL_REWIND:
            return true
        default:
            return false
        }
    }
}

/// The state of one request shared with the C callbacks through an opaque pointer.
private final class Exchange {
    let receive: ((_ answer: HTTPResponse, UnsafeRawBufferPointer) throws -> Void)?
    var response = HTTPResponse()
    var failure: Error?
    static let errorBodyLimit = 1 << 20

    init(receive: ((_ answer: HTTPResponse, UnsafeRawBufferPointer) throws -> Void)?) {
        self.receive = receive
    }

    func header(_ line: UnsafeRawBufferPointer) {
        var text = String(decoding: line, as: UTF8.self)
        while let last = text.last, last.isNewline { text.removeLast() }
        if text.hasPrefix("HTTP/") {
            // A new status line (after "100 Continue" or a redirect) starts a new header block.
            let fields = text.split(separator: " ", maxSplits: 2)
            response.status = fields.count > 1 ? Int(fields[1]) ?? 0 : 0
            response.headers = []
            response.body = []
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = text[..<colon].lowercased()
        let value = text[text.index(after: colon)...].trimmingSpaces()
        response.headers.append((name: name, value: value))
    }

    func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let receive, response.isSuccess {
            do {
                try receive(response, bytes)
            } catch {
                failure = error
                return false
            }
        } else if response.body.count < Exchange.errorBodyLimit {
            response.body += bytes.prefix(Exchange.errorBodyLimit - response.body.count)
        }
        return true
    }
}

private func headerCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    exchange.header(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

private func writeCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    return exchange.body(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
}

extension Substring {
    package func trimmingSpaces() -> String {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
