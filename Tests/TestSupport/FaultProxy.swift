import Foundation

/// Runs the fault-injecting HTTP proxy of our own (Tests/TestSupport/s3-fault-proxy.py) between the
/// S3 driver and moto, on loopback. Each request takes the next fault from a queue, else a
/// random one at `rate`: pass, 503 (SlowDown), 500 after the server applied the request, a
/// connection reset before or after the server applied it, a stall past the client's timeout,
/// a body cut short, 403 AccessDenied, 501 to conditional writes.
public final class FaultProxy {
    public let endpoint: String
    private let process: Process
    private let control: FileHandle
    private let replies: FileHandle

    public static let faults = ["503", "500after", "reset", "resetafter", "stall", "cut"]

    /// The proxy itself: Tests/TestSupport/s3-fault-proxy.py (usable by hand too).
    public static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/TestSupport/s3-fault-proxy.py").path

    /// Starts a proxy in front of `upstream` ("http://127.0.0.1:PORT"); it stops with `stop()` or when its stdin closes.
    /// With `tls` (certificate and key PEM files) the proxy speaks HTTPS on "https://localhost:PORT".
    public init(upstream: String, stallSeconds: Double = 3, seed: Int = 42, tls: (certificate: String, key: String)? = nil) throws {
        let authority = upstream.replacingOccurrences(of: "http://", with: "").split(separator: ":")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", FaultProxy.script, String(authority[0]), String(authority[1]), "\(stallSeconds)", "\(seed)"]
            + (tls.map { [$0.certificate, $0.key] } ?? [])
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        control = input.fileHandleForWriting
        replies = output.fileHandleForReading
        let port = replies.readLine()
        guard Int(port) != nil else { throw MotoStartError(reason: "fault proxy did not start: \(port)") }
        endpoint = tls == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)"
    }

    deinit { stop() }

    public func stop() {
        try? control.close()
        process.waitUntilExit()
    }

    /// Faults for the next requests, in order ("pass" forwards one untouched).
    public func queue(_ faults: [String]) { command("queue \(faults.joined(separator: ","))") }

    /// A random fault for this fraction of the requests not covered by the queue.
    public func setRate(_ rate: Double, faults: [String] = FaultProxy.faults) { command("rate \(rate) \(faults.joined(separator: ","))") }

    public struct Entry: Decodable {
        public let method: String
        public let path: String
        public let fault: String
        public let range: String
        /// The upstream server's status, 0 when the request was not forwarded.
        public let status: Int
        /// X-Amz-Target (a KMS request's operation, "TrentService.Decrypt"); empty for S3.
        public let target: String
    }

    /// The requests seen since the last call.
    public func log() throws -> [Entry] {
        control.write(Data("log\n".utf8))
        return try JSONDecoder().decode([Entry].self, from: Data(replies.readLine().utf8))
    }

    private func command(_ line: String) {
        control.write(Data((line + "\n").utf8))
        _ = replies.readLine()
    }
}
