import Foundation
import Testing
@testable import PITRNative
import TestSupport

@Suite("HTTPClient (libcurl) against moto")
struct HTTPClientTests {
    /// Plain moto checks no signature but treats a request without one as anonymous (403).
    let anyAuthorization: [(name: String, value: String)] = [
        ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"),
    ]

    @Test func putGetHeadDeleteOverOneHandle() throws {
        let endpoint = try MotoServer.endpoint()
        let client = try HTTPClient()
        let bucket = MotoServer.uniqueBucket("http")
        let created = try client.perform(HTTPRequest(method: "PUT", url: "\(endpoint)/\(bucket)"))
        #expect(created.status == 200)

        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let put = try payload.withUnsafeBytes {
            try client.perform(HTTPRequest(method: "PUT", url: "\(endpoint)/\(bucket)/a/object"), body: $0)
        }
        #expect(put.status == 200)
        #expect(put.header("ETag") != nil)

        var received: [UInt8] = []
        let get = try client.perform(HTTPRequest(method: "GET", url: "\(endpoint)/\(bucket)/a/object", headers: anyAuthorization)) { received += $1 }
        #expect(get.status == 200)
        #expect(received.count == payload.count)
        let sameBytes = received == payload
        #expect(sameBytes)
        #expect(get.body.isEmpty)

        var tail: [UInt8] = []
        let ranged = try client.perform(HTTPRequest(method: "GET", url: "\(endpoint)/\(bucket)/a/object",
                                                    headers: anyAuthorization + [("Range", "bytes=-10")])) { tail += $1 }
        #expect(ranged.status == 206)
        #expect(tail == Array(payload.suffix(10)))

        let head = try client.perform(HTTPRequest(method: "HEAD", url: "\(endpoint)/\(bucket)/a/object", headers: anyAuthorization))
        #expect(head.status == 200)
        #expect(head.header("content-length") == "300000")

        let delete = try client.perform(HTTPRequest(method: "DELETE", url: "\(endpoint)/\(bucket)/a/object", headers: anyAuthorization))
        #expect(delete.status == 204)
    }

    /// moto closes every connection; the fault proxy (passing everything) keeps them alive like S3.
    @Test func oneConnectionServesEveryRequest() throws {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        defer { proxy.stop() }
        let client = try HTTPClient()
        let bucket = MotoServer.uniqueBucket("reuse")
        _ = try client.perform(HTTPRequest(method: "PUT", url: "\(proxy.endpoint)/\(bucket)", headers: anyAuthorization))
        for index in 0..<20 {
            let body = pattern(1000 + index)
            let put = try body.withUnsafeBytes {
                try client.perform(HTTPRequest(method: "PUT", url: "\(proxy.endpoint)/\(bucket)/k\(index)", headers: anyAuthorization), body: $0)
            }
            #expect(put.status == 200)
            let head = try client.perform(HTTPRequest(method: "HEAD", url: "\(proxy.endpoint)/\(bucket)/k\(index)", headers: anyAuthorization))
            #expect(head.header("content-length") == "\(body.count)")
        }
        #expect(client.connectionsOpened == 1)
    }

    @Test func errorBodiesAreCollectedNotDelivered() throws {
        let endpoint = try MotoServer.endpoint()
        let client = try HTTPClient()
        var delivered = 0
        let missing = try client.perform(HTTPRequest(method: "GET", url: "\(endpoint)/no-such-bucket-xyz/key")) { delivered += $1.count }
        #expect(missing.status == 404)
        #expect(delivered == 0)
        #expect(String(decoding: missing.body, as: UTF8.self).contains("NoSuchBucket"))
    }

    @Test func receiverErrorAbortsTheTransfer() throws {
        struct Stop: Error {}
        let endpoint = try MotoServer.endpoint()
        let client = try HTTPClient()
        let bucket = MotoServer.uniqueBucket("abort")
        _ = try client.perform(HTTPRequest(method: "PUT", url: "\(endpoint)/\(bucket)"))
        let payload = [UInt8](repeating: 1, count: 1 << 20)
        _ = try payload.withUnsafeBytes { try client.perform(HTTPRequest(method: "PUT", url: "\(endpoint)/\(bucket)/k"), body: $0) }
        #expect(throws: Stop.self) {
            _ = try client.perform(HTTPRequest(method: "GET", url: "\(endpoint)/\(bucket)/k", headers: anyAuthorization)) { _, _ in throw Stop() }
        }
        // The handle is still usable afterwards.
        let head = try client.perform(HTTPRequest(method: "HEAD", url: "\(endpoint)/\(bucket)/k", headers: anyAuthorization))
        #expect(head.status == 200)
    }

    @Test func refusedConnectionIsTransient() throws {
        let client = try HTTPClient(options: HTTPClientOptions(connectTimeoutMilliseconds: 2000))
        let error = #expect(throws: HTTPTransportError.self) {
            _ = try client.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:1/x"))
        }
        #expect(error?.isTransient == true)
        #expect(error?.description.contains("127.0.0.1:1") == true)
    }
}
