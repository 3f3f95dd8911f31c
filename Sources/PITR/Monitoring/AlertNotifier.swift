import PITRNative
import PITRSupport

/// Posts `check`'s failures to `TAILTOWN_NOTIFY_URL` as `{"text": "..."}`, the body Slack-style
/// incoming webhooks (Slack, Mattermost, Rocket.Chat, Teams connectors) accept.
public struct AlertNotifier {
    public let url: String

    public init(url: String) { self.url = url }

    /// The alert's text: a first line naming the repository, then one line per problem.
    public static func text(repository: String, problems: [String]) -> String {
        (["tailtown-pitr check failed for \(repository):"] + problems.map { "• " + $0 }).joined(separator: "\n")
    }

    /// Sends one POST; throws `AlertError` when the endpoint does not answer 2xx.
    public func send(_ text: String) throws {
        let body = Array("{\"text\":\(text.jsonLiteral)}".utf8)
        let client = try HTTPClient(options: HTTPClientOptions(connectTimeoutMilliseconds: 10_000, stallSeconds: 20))
        let request = HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")])
        let response: HTTPResponse
        do {
            response = try body.withUnsafeBytes { try client.perform(request, body: $0) }
        } catch let error as HTTPTransportError {
            throw AlertError.unreachable(reason: error.message)
        }
        guard response.isSuccess else { throw AlertError.refused(status: response.status) }
    }
}

/// Why the alert did not get through; the URL itself is a secret and never printed.
public enum AlertError: PITRError, Equatable {
    case unreachable(reason: String)
    case refused(status: Int)

    public var description: String {
        switch self {
        case .unreachable(let reason): "cannot post the alert to TAILTOWN_NOTIFY_URL: \(reason)"
        case .refused(let status): "TAILTOWN_NOTIFY_URL answered the alert with HTTP \(status): check the webhook URL"
        }
    }
}
