import PITRNative
import PITRSupport

/// The credentials a process signs with. Fixed keys are used as they are. Temporary ones come from the cache the
/// user's processes share (`PrivateCache`; wal-push and wal-fetch start once per segment and must not call STS each
/// time), and are fetched from their source only when the cache has none that stays valid `refreshMargin` longer,
/// by one process at a time while the others wait for what it writes. Thread-safe: the connections of a process share one.
public final class AWSCredentialProvider: @unchecked Sendable {
    package let source: AWSCredentialSource
    /// The cache folder (TAILTOWN_CACHE_DIR or its default), nil for no cache.
    let cacheFolder: String?
    let log: Log
    private let lock = ConditionLock()
    private var current: AWSCredentials?
    /// Whether `current` was read from the cache, fetched by another process: a refusal may mean it went stale.
    private var currentFromCache = false
    private var refreshedAfterRefusal = false
    /// The cache once opened; nil inside when it was refused (and warned about).
    private var openedCache: PrivateCache??

    /// Cached credentials are fetched again this many seconds before they expire (the SDKs refresh 5 to 15 minutes ahead).
    package static let refreshMargin: Int64 = 600
    /// Credentials in use are replaced this many seconds before they expire, whatever their lifetime.
    static let inUseMargin: Int64 = 60

    /// The codes with which AWS refuses credentials that expired or no longer exist.
    static let tokenCodes: Set<String> = ["ExpiredToken", "TokenRefreshRequired", "InvalidToken", "InvalidAccessKeyId"]

    /// Fixed keys.
    public convenience init(_ credentials: AWSCredentials) {
        self.init(source: .fixed(credentials, origin: "given keys"), cacheFolder: nil, log: Log(level: .error))
    }

    package init(source: AWSCredentialSource, cacheFolder: String?, log: Log) {
        self.source = source
        self.cacheFolder = cacheFolder
        self.log = log
    }

    /// Where the credentials come from, as `config` shows it: never a secret.
    public var sourceDescription: String { source.description }

    /// The credentials to sign with now. Throws `CredentialError`.
    public func credentials() throws -> AWSCredentials {
        if case .fixed(let credentials, _) = source { return credentials }
        return try lock.locked {
            if let current, !Self.expires(current, within: Self.inUseMargin) { return current }
            return try obtain(replacing: nil)
        }
    }

    /// After a request signed with `used` was refused (S3's `code` and HTTP `status`): fresh credentials to try once
    /// more, or nil when that cannot help (fixed keys, a refusal that is not about them, or a refresh already tried).
    /// A token S3 calls expired or invalid is fetched anew; so is any 403 to credentials read from the cache, which
    /// may have been revoked since another process fetched them.
    func refreshed(afterRefusalOf used: AWSCredentials, code: String, status: Int) throws -> AWSCredentials? {
        guard case .temporary = source else { return nil }
        return try lock.locked {
            if let current, current != used { return current }
            let aboutToken = Self.tokenCodes.contains(code)
            guard aboutToken || (status == 403 && currentFromCache), !refreshedAfterRefusal else { return nil }
            refreshedAfterRefusal = true
            log.warning("AWS refused the credentials from \(source.description) (\(code.sanitizedServerText(limit: 64))): fetching new ones")
            return try obtain(replacing: used)
        }
    }

    /// Credentials from the cache when it holds ones that stay valid long enough (and are not `stale`), else fetched
    /// from the source under the cache's lock and written to it. Called with `lock` held.
    private func obtain(replacing stale: AWSCredentials?) throws -> AWSCredentials {
        guard case .temporary(let fetcher) = source else { preconditionFailure("only temporary credentials are obtained") }
        let name = try Self.entryName(fetcher.cacheIdentity)
        if let cache = cache() {
            do {
                if stale == nil, let cached = try usable(cache, name, fetcher, stale: nil) { return use(cached, fromCache: true) }
                return try cache.withLock(name) {
                    // Another process may have fetched them while this one waited.
                    if let cached = try usable(cache, name, fetcher, stale: stale) { return use(cached, fromCache: true) }
                    let fresh = try fetcher.fetch(log: log)
                    // Credentials without an expiry (a credential process may give long-lived keys) are not cached.
                    if fresh.expiration != nil { do {
                        try cache.write(name, Self.entry(fresh, identity: fetcher.cacheIdentity))
                    } catch {
                        log.warning("credentials cache: cannot write \(cache.path)/\(name): \(error); the next process fetches again")
                    } }
                    return use(fresh, fromCache: false)
                }
            } catch let error as IOError {
                warnUncached("\(error)")
            } catch let refusal as PrivateCache.Refusal {
                warnUncached(refusal.description)
            }
        }
        return use(try fetcher.fetch(log: log), fromCache: false)
    }

    private func use(_ credentials: AWSCredentials, fromCache: Bool) -> AWSCredentials {
        current = credentials
        currentFromCache = fromCache
        log.debug("AWS credentials from \(source.description)\(fromCache ? ", cached" : ""): \(credentials)")
        return credentials
    }

    /// The cached entry when it is this source's, not `stale`, and valid for `refreshMargin` more.
    private func usable(_ cache: PrivateCache, _ name: String, _ fetcher: any CredentialFetcher, stale: AWSCredentials?) throws -> AWSCredentials? {
        let bytes: [UInt8]
        do {
            guard let read = try cache.read(name) else { return nil }
            bytes = read
        } catch let refusal as PrivateCache.Refusal {
            // Never trusted; the fetch that follows replaces it.
            log.warning("credentials cache: \(refusal)")
            return nil
        }
        guard let cached = Self.parse(entry: bytes, identity: fetcher.cacheIdentity) else {
            log.warning("credentials cache: \(cache.path)/\(name) is not an entry of this source: it is replaced")
            return nil
        }
        guard cached != stale, !Self.expires(cached, within: Self.refreshMargin) else { return nil }
        return cached
    }

    private func cache() -> PrivateCache? {
        if let openedCache { return openedCache }
        var opened: PrivateCache?
        if let cacheFolder {
            do {
                opened = try PrivateCache.open(cacheFolder)
            } catch {
                warnUncached("\(error)")
            }
        }
        openedCache = .some(opened)
        return opened
    }

    private func warnUncached(_ problem: String) {
        log.warning("credentials cache: \(problem); fetching credentials without the cache")
        openedCache = .some(nil)
    }

    static func expires(_ credentials: AWSCredentials, within seconds: Int64) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration.secondsSinceEpoch - UTCTime.now().secondsSinceEpoch < seconds
    }

    /// "credentials-" and 32 hex digits of the SHA-256 of the source's identity.
    static func entryName(_ identity: String) throws -> String {
        "credentials-" + String(try SHA256Hasher.digest(Array(identity.utf8)).lowercaseHex.prefix(32))
    }

    /// An entry: JSON with the source's identity (checked on reading: a hash collision or a renamed file never serves
    /// another source) and the credentials.
    static func entry(_ credentials: AWSCredentials, identity: String) -> [UInt8] {
        var members = [("Identity", identity), ("AccessKeyId", credentials.accessKeyID), ("SecretAccessKey", credentials.secretAccessKey)]
        if let token = credentials.sessionToken { members.append(("SessionToken", token)) }
        if let expiration = credentials.expiration { members.append(("Expiration", expiration.iso8601)) }
        return Array(("{" + members.map { "\($0.0.jsonLiteral):\($0.1.jsonLiteral)" }.joined(separator: ",") + "}\n").utf8)
    }

    static func parse(entry bytes: [UInt8], identity: String) -> AWSCredentials? {
        guard let document = try? JSONValue.parse(bytes), document["Identity"]?.string == identity,
              let keyID = document["AccessKeyId"]?.string, let secret = document["SecretAccessKey"]?.string else { return nil }
        let expiration = document["Expiration"]?.string.flatMap(AWSCredentials.expiration)
        guard expiration != nil || document["Expiration"] == nil else { return nil }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: document["SessionToken"]?.string, expiration: expiration)
    }
}
