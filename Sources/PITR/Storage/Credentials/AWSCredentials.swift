import PITRSupport

/// An AWS access key pair, with the session token and expiry of temporary credentials.
/// `description` never shows the secret key or the token, so a credentials value may be
/// interpolated into a log line or an error message safely.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public let accessKeyID: String
    let secretAccessKey: String
    let sessionToken: String?
    /// When temporary credentials stop working; nil for long-lived keys.
    public let expiration: UTCTime?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: UTCTime? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
        self.expiration = expiration
    }

    public var description: String {
        "access key \(accessKeyID) (secret key\(sessionToken == nil ? "" : " and session token") hidden)"
            + (expiration.map { ", expiring \($0.iso8601)" } ?? "")
    }

    /// The expiry as AWS's services write it ("2026-12-06T12:26:25Z", "2026-12-06T12:26:25.031426Z",
    /// "2026-12-06T12:26:25+00:00"); nil when it is not one of those.
    static func expiration(_ text: String) -> UTCTime? {
        guard text.count >= 19 else { return nil }
        let seconds = String(text.prefix(19))
        let zone = text.dropFirst(19).drop { $0 == "." || $0.isNumber }
        guard zone == "Z" || zone == "+00:00" else { return nil }
        return UTCTime(iso8601: seconds + "Z")
    }
}
