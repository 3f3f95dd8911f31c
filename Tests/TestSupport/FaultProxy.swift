import Foundation

/// Runs the fault-injecting HTTP proxy of our own (Tests/TestSupport/s3-fault-proxy.py) between the
/// S3 driver and moto, on loopback. Each request takes the next fault from a queue, else a
/// random one at `rate`: pass, 503 (SlowDown), 500 after the server applied the request, a
/// connection reset before or after the server applied it, a stall past the client's timeout,
/// a body cut short, 403 AccessDenied, 400 ExpiredToken, 501 to conditional writes, conditional writes ignored.
public final class FaultProxy {
    public let endpoint: String
    private let server: ScriptServer

    public static let faults = ["503", "500after", "reset", "resetafter", "stall", "cut"]

    /// The proxy itself: Tests/TestSupport/s3-fault-proxy.py (usable by hand too).
    public static let script = ScriptServer.path("s3-fault-proxy.py")

    /// Starts a proxy in front of `upstream` ("http://127.0.0.1:PORT"); it stops with `stop()` or when its stdin closes.
    /// With `tls` (certificate and key PEM files) the proxy speaks HTTPS on "https://localhost:PORT".
    public init(upstream: String, stallSeconds: Double = 3, seed: Int = 42, tls: (certificate: String, key: String)? = nil) throws {
        let authority = upstream.replacingOccurrences(of: "http://", with: "").split(separator: ":")
        server = try ScriptServer(script: FaultProxy.script, arguments: [String(authority[0]), String(authority[1]), "\(stallSeconds)", "\(seed)"]
            + (tls.map { [$0.certificate, $0.key] } ?? []))
        let port = server.port
        endpoint = tls == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)"
    }

    public func stop() { server.stop() }

    /// Faults for the next requests, in order ("pass" forwards one untouched).
    public func queue(_ faults: [String]) { command("queue \(faults.joined(separator: ","))") }

    /// A random fault for this fraction of the requests not covered by the queue.
    public func setRate(_ rate: Double, faults: [String] = FaultProxy.faults) { command("rate \(rate) \(faults.joined(separator: ","))") }

    /// Forwards the requests a "wait" fault holds (queued before them).
    public func release() { command("release") }

    public struct Entry: Decodable {
        public let method: String
        public let path: String
        public let fault: String
        public let range: String
        /// The upstream server's status, 0 when the request was not forwarded.
        public let status: Int
        /// X-Amz-Target (a KMS request's operation, "TrentService.Decrypt"); empty for S3.
        public let target: String
        /// The access key id the request was signed with, empty when unsigned.
        public let key: String
    }

    /// S3 still thawing (moto thaws at once): the next `heads` HEAD answers of thawed objects say `ongoing-request="true"`,
    /// and meanwhile a RestoreObject of a thawed object is answered 409 RestoreAlreadyInProgress.
    public func holdThaw(heads: Int) { command("hold \(heads)") }

    /// The requests seen since the last call.
    public func log() throws -> [Entry] {
        try JSONDecoder().decode([Entry].self, from: Data(server.command("log").utf8))
    }

    private func command(_ line: String) { server.command(line) }
}
