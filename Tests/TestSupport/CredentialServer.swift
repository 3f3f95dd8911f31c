import Foundation

/// Runs our container-credentials and EC2 instance metadata server (Tests/TestSupport/credential-server.py) on
/// loopback: every credentials answer issues new keys expiring `lifetime` seconds later, and the counts show how many
/// the chain fetched.
public final class CredentialServer {
    /// "http://127.0.0.1:PORT"
    public let endpoint: String
    /// The Authorization header the container endpoint requires.
    public let authorization: String
    private let server: ScriptServer

    public static let script = ScriptServer.path("credential-server.py")

    public init(authorization: String = "Bearer pod-identity-\(UUID().uuidString.prefix(8))") throws {
        self.authorization = authorization
        server = try ScriptServer(script: CredentialServer.script, arguments: [authorization])
        let port = server.port
        endpoint = "http://127.0.0.1:\(port)"
    }

    /// Credentials issued from now on expire this many seconds after they are issued.
    public func setLifetime(_ seconds: Int) { command("lifetime \(seconds)") }

    /// Each credentials answer waits this long first, so that two fetches at once overlap.
    public func setDelay(_ seconds: Double) { command("delay \(seconds)") }

    public struct Counts: Decodable, Equatable {
        public let container: Int
        public let imds: Int
        /// IMDSv2 session tokens issued.
        public let token: Int
    }

    public func counts() throws -> Counts {
        try JSONDecoder().decode(Counts.self, from: Data(server.command("counts").utf8))
    }

    private func command(_ line: String) { server.command(line) }
}
