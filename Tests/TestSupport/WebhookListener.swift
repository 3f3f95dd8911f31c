import Foundation

/// A one-shot HTTP server on 127.0.0.1 that records the first request and answers it with
/// `status`: the receiving end of a Slack-style incoming webhook, for tests (in process, or
/// for a tailtown-pitr child process).
public final class WebhookListener: @unchecked Sendable {
    public struct Request {
        public let head: String
        public let body: String
    }

    public let port: UInt16
    private let listener: Int32
    private let received = DispatchSemaphore(value: 0)
    private var request: Request?

    public init(status: Int = 200) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 4) == 0 else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in serve(status: status) }
        thread.start()
    }

    deinit { close(listener) }

    public var url: String { "http://127.0.0.1:\(port)/services/T000/B000/secret" }

    /// The request, once it arrived (nil after `seconds`).
    public func waitForRequest(seconds: Double = 10) -> Request? {
        guard received.wait(timeout: .now() + seconds) == .success else { return nil }
        return request
    }

    private func serve(status: Int) {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(connection, &buffer, buffer.count)
            if n <= 0 { break }
            data += buffer[..<n]
            let text = String(decoding: data, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { continue }
            let head = String(text[..<end.lowerBound])
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let body = Array(data[(text.utf8.distance(from: text.startIndex, to: end.upperBound))...])
            if body.count >= length {
                request = Request(head: head, body: String(decoding: body, as: UTF8.self))
                break
            }
        }
        let answer = "HTTP/1.1 \(status) X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        _ = answer.withCString { write(connection, $0, strlen($0)) }
        received.signal()
    }
}
