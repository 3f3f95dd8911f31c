/// An AWS access key pair, with the session token of temporary credentials.
/// `description` never shows the secret key or the token, so a credentials value may be
/// interpolated into a log line or an error message safely.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public let accessKeyID: String
    let secretAccessKey: String
    let sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String {
        "access key \(accessKeyID) (secret key\(sessionToken == nil ? "" : " and session token") hidden)"
    }
}
