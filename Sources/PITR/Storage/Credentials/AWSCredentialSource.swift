import PITRSupport

/// Where the credentials come from, as the chain chose it from settings and profiles (`Settings.awsAccount`):
/// keys given as they are, or a source of temporary credentials.
package enum AWSCredentialSource: Sendable, CustomStringConvertible {
    /// Keys from the environment, a config file or a profile; `origin` says which ("environment", "profile 'x' of FILE").
    case fixed(AWSCredentials, origin: String)
    case temporary(any CredentialFetcher)

    package var description: String {
        switch self {
        case let .fixed(credentials, origin): "\(origin) (access key \(credentials.accessKeyID))"
        case .temporary(let fetcher): fetcher.description
        }
    }

    /// What tells two sources apart for the cache (`CredentialFetcher.cacheIdentity`).
    var cacheIdentity: String {
        switch self {
        case .fixed(let credentials, _): "fixed\n\(credentials.accessKeyID)"
        case .temporary(let fetcher): fetcher.cacheIdentity
        }
    }

    /// The credentials, fetched now if temporary (the source of an assumed role, which only a refresh asks for).
    func fetchUncached(log: Log) throws -> AWSCredentials {
        switch self {
        case .fixed(let credentials, _): credentials
        case .temporary(let fetcher): try fetcher.fetch(log: log)
        }
    }
}
