import Foundation
import Testing
@testable import PITRConfig
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// Temporary credentials fetched from real servers (moto's STS; our container and IMDSv2 server), cached across
/// processes (each `AWSCredentialProvider` here stands for one wal-push), refreshed before they expire, and once
/// when S3 refuses them.
@Suite("AWS credentials: STS, container, instance metadata, the cache")
struct CredentialProviderTests {
    let folder: String
    let quiet = Log(level: .error)

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tt-creds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    var cache: String { folder + "/cache" }

    func provider(_ fetcher: any CredentialFetcher, cache: String? = nil) -> AWSCredentialProvider {
        AWSCredentialProvider(source: .temporary(fetcher), cacheFolder: cache ?? self.cache, log: quiet)
    }

    func sts(_ url: String) throws -> STSEndpoint {
        STSEndpoint(endpoint: try #require(S3Endpoint.parse(url, style: .path)), region: "eu-west-1")
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    /// The one entry of the cache folder.
    func entry() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasPrefix("credentials-") && !$0.hasSuffix(".lock") }
        try #require(names.count == 1, "\(names)")
        return cache + "/" + names[0]
    }

    @Test("web identity through moto's STS: fetched once, then read from the 0600 cache; moto's S3 takes the keys")
    func webIdentity() throws {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        try "eyJhbGciOiJSUzI1NiJ9.web-identity-token\n".write(toFile: folder + "/token", atomically: true, encoding: .utf8)
        let fetcher = WebIdentityCredentials(tokenFile: folder + "/token", roleARN: "arn:aws:iam::123456789012:role/pitr", sessionName: "test",
                                             sts: try sts(proxy.endpoint), origin: "test")
        let credentials = try provider(fetcher).credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA") && credentials.sessionToken != nil)
        let expiration = try #require(credentials.expiration)
        #expect(expiration.secondsSinceEpoch > UTCTime.now().secondsSinceEpoch + AWSCredentialProvider.refreshMargin)
        let calls = try proxy.log()
        #expect(calls.map(\.method) == ["POST"] && calls[0].key == "", "AssumeRoleWithWebIdentity is unsigned")
        #expect(try mode(cache) == 0o700)
        #expect(try mode(try entry()) == 0o600)
        #expect(!String(decoding: try FileSystem.readFile(try entry()), as: UTF8.self).contains("web-identity-token"))

        // The next process: from the cache, no request to STS.
        let next = provider(fetcher)
        #expect(try next.credentials() == credentials)
        #expect(try proxy.log().isEmpty)

        var configuration = try S3TestRepository.configuration(bucket: MotoServer.uniqueBucket("webid"))
        try MotoServer.createBucket(configuration.bucket)
        configuration.credentials = next
        let storage = try S3Storage(configuration: configuration, log: quiet)
        #expect(try storage.store("a/object", pattern(1000)) == .stored)
        #expect(try storage.load("a/object") == pattern(1000))
    }

    @Test("a private STS endpoint over TLS: verified with TAILTOWN_S3_CA_FILE, refused without it, naming the certificate")
    func privateSTSEndpoint() throws {
        let (certificate, key) = try localhostCertificate(in: folder)
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint(), tls: (certificate, key))
        defer { proxy.stop() }
        try "eyJhbGciOiJSUzI1NiJ9.web-identity-token\n".write(toFile: folder + "/token", atomically: true, encoding: .utf8)
        func settings(_ lines: [String]) throws -> Settings {
            try Settings.load(flags: [:], environment: Dictionary(uniqueKeysWithValues: (lines + [
                "AWS_WEB_IDENTITY_TOKEN_FILE=\(folder)/token", "AWS_ROLE_ARN=arn:aws:iam::123456789012:role/pitr", "AWS_REGION=eu-west-1",
                "AWS_ENDPOINT_URL_STS=\(proxy.endpoint)", "TAILTOWN_CACHE_DIR=none",
            ]).map { line in let parts = line.split(separator: "=", maxSplits: 1); return (String(parts[0]), String(parts[1])) }),
            defaultFile: "/nonexistent")
        }
        let trusted = try settings(["TAILTOWN_S3_CA_FILE=\(certificate)"]).awsAccount(home: nil, log: quiet)
        #expect(try trusted.credentials.credentials().accessKeyID.hasPrefix("ASIA"))
        let untrusted = try settings([]).awsAccount(home: nil, log: quiet)
        let refused = #expect(throws: CredentialError.self) { _ = try untrusted.credentials.credentials() }
        #expect(refused?.description.lowercased().contains("certificate") == true, "\(String(describing: refused))")
    }

    @Test("AssumeRole through moto's STS, signed with the source profile's keys; two sources never share an entry")
    func assumeRole() throws {
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        let source = AWSCredentialSource.fixed(AWSCredentials(accessKeyID: "AKIDSOURCE", secretAccessKey: "source-secret"), origin: "test")
        let fetcher = AssumedRoleCredentials(roleARN: "arn:aws:iam::123456789012:role/archiver", sessionName: "test", externalID: "x1",
                                             source: source, sts: try sts(proxy.endpoint), origin: "profile 'archiver'")
        let credentials = try provider(fetcher).credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA") && credentials.accessKeyID != "AKIDSOURCE")
        #expect(try proxy.log().map(\.key) == ["AKIDSOURCE"])
        let otherSource = AssumedRoleCredentials(roleARN: fetcher.roleARN, sessionName: "test", externalID: "x1",
                                                 source: .fixed(AWSCredentials(accessKeyID: "AKIDOTHER", secretAccessKey: "s"), origin: "test"),
                                                 sts: fetcher.sts, origin: "profile 'other'")
        #expect(try provider(otherSource).credentials() != credentials)
        #expect(try proxy.log().map(\.key) == ["AKIDOTHER"])
        #expect(try provider(fetcher).credentials() == credentials)
        #expect(try proxy.log().isEmpty)
    }

    @Test("container credentials: the token file's Authorization; refreshed 10 minutes before expiry, cached otherwise")
    func containerRefresh() throws {
        let server = try CredentialServer()
        try server.authorization.write(toFile: folder + "/pod-token", atomically: true, encoding: .utf8)
        let fetcher = ContainerCredentials(url: server.endpoint + "/container", authorization: .tokenFile(folder + "/pod-token"))
        server.setLifetime(540)
        let first = try provider(fetcher).credentials()
        // Nine minutes left: inside the refresh margin, so the next process fetches anew.
        let second = try provider(fetcher).credentials()
        #expect(first != second)
        #expect(try server.counts().container == 2)
        server.setLifetime(3600)
        let third = try provider(fetcher).credentials()
        #expect(try provider(fetcher).credentials() == third)
        #expect(try server.counts().container == 3)

        try "Bearer wrong-token".write(toFile: folder + "/pod-token", atomically: true, encoding: .utf8)
        let refused = #expect(throws: CredentialError.self) { _ = try provider(fetcher, cache: folder + "/other-cache").credentials() }
        #expect(refused?.description.contains("HTTP 401") == true)
        #expect(refused?.description.contains("wrong-token") == false)
    }

    @Test("EC2 instance metadata with an IMDSv2 session token; an endpoint that is not there fails at once, named")
    func instanceMetadata() throws {
        let server = try CredentialServer()
        let credentials = try provider(InstanceMetadataCredentials(endpoint: server.endpoint)).credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIATEST") && credentials.sessionToken != nil)
        let counts = try server.counts()
        #expect(counts.container == 0 && counts.imds == 1 && counts.token == 1)
        #expect(try provider(InstanceMetadataCredentials(endpoint: server.endpoint)).credentials() == credentials)
        #expect(try server.counts().imds == 1)
        let missing = #expect(throws: CredentialError.self) {
            _ = try provider(InstanceMetadataCredentials(endpoint: "http://127.0.0.1:9")).credentials()
        }
        #expect(missing?.description.contains("EC2 instance metadata (IMDSv2 at http://127.0.0.1:9)") == true)
    }

    @Test("two processes needing credentials at once: one fetches, the other waits and reads what it wrote")
    func concurrentRefresh() throws {
        let server = try CredentialServer()
        server.setDelay(1)
        let fetcher = ContainerCredentials(url: server.endpoint + "/container", authorization: .token(server.authorization))
        let results = ConditionLockedArray()
        let threads = (0..<2).map { _ in
            Thread { results.append(Result { try provider(fetcher).credentials() }) }
        }
        threads.forEach { $0.start() }
        let got = results.wait(for: 2)
        let values = try got.map { try $0.get() }
        #expect(values[0] == values[1])
        #expect(try server.counts().container == 1)
    }

    @Test("a cache another user could change or read is not used: warned, and the credentials are fetched every time")
    func refusedCache() throws {
        let server = try CredentialServer()
        let fetcher = ContainerCredentials(url: server.endpoint + "/container", authorization: .token(server.authorization))
        // A folder open to others.
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        #expect(throws: PrivateCache.Refusal.self) { _ = try PrivateCache.open(cache) }
        _ = try provider(fetcher).credentials()
        _ = try provider(fetcher).credentials()
        #expect(try server.counts().container == 2)
        // Under a folder anyone may change (not sticky).
        let open = folder + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        chmod(open, 0o777)
        let underOpen = #expect(throws: PrivateCache.Refusal.self) { _ = try PrivateCache.open(open + "/cache") }
        #expect(underOpen?.description.contains(open) == true)
        // Inside a data directory, which base backups copy (the folder itself would pass every other check).
        let data = folder + "/pgdata"
        try FileManager.default.createDirectory(atPath: data + "/pg_wal", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        #expect(try PrivateCache.open(data + "/pg_wal/cache").path.hasSuffix("/cache"))
        try "15\n".write(toFile: data + "/PG_VERSION", atomically: true, encoding: .utf8)
        let inData = #expect(throws: PrivateCache.Refusal.self) { _ = try PrivateCache.open(data + "/pg_wal/cache") }
        #expect(inData?.description.contains("is inside '\(data)', a PostgreSQL data directory") == true, "\(String(describing: inData))")

        // Entries planted with a loose mode, or by another user, are ignored and replaced.
        chmod(cache, 0o700)
        _ = try provider(fetcher).credentials()
        let path = try entry()
        chmod(path, 0o644)
        #expect(throws: PrivateCache.Refusal.self) { _ = try PrivateCache.open(cache).read(FileSystem.basename(of: path)) }
        _ = try provider(fetcher).credentials()
        #expect(try server.counts().container == 4)
        #expect(try mode(path) == 0o600)
        if geteuid() == 0 {
            chown(path, 65534, 65534)
            let foreign = #expect(throws: PrivateCache.Refusal.self) { _ = try PrivateCache.open(cache).read(FileSystem.basename(of: path)) }
            #expect(foreign?.description.contains("uid 65534") == true)
            _ = try provider(fetcher).credentials()
            #expect(try server.counts().container == 5)
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_uid == 0)
        }
    }

    @Test("S3 refuses an expired token mid-run: fetched anew once and the request retried; refused again, said so")
    func expiredMidRun() throws {
        let server = try CredentialServer()
        let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        let fetcher = ContainerCredentials(url: server.endpoint + "/container", authorization: .token(server.authorization))
        func storage(_ bucket: String) throws -> S3Storage {
            var configuration = try S3TestRepository.configuration(bucket: bucket, endpoint: proxy.endpoint)
            configuration.credentials = provider(fetcher)
            return try S3Storage(configuration: configuration, log: quiet)
        }
        let bucket = MotoServer.uniqueBucket("expired")
        try MotoServer.createBucket(bucket)
        let first = try storage(bucket)
        #expect(try first.store("wal/one", pattern(100)) == .stored)
        _ = try proxy.log()
        proxy.queue(["expired"])
        #expect(try first.load("wal/one") == pattern(100))
        let keys = try proxy.log().map(\.key)
        #expect(keys.count == 2 && keys[0] != keys[1], "\(keys)")
        #expect(try server.counts().container == 2)

        // A 403 to credentials another process cached (revoked since?): fetched anew too.
        let second = try storage(bucket)
        proxy.queue(["403"])
        #expect(try second.load("wal/one") == pattern(100))
        #expect(try server.counts().container == 3)

        let third = try storage(bucket)
        proxy.queue(["expired", "expired"])
        let error = #expect(throws: CredentialError.self) { _ = try third.load("wal/one") }
        #expect(error?.description.contains("ExpiredToken") == true)
        #expect(error?.description.contains("container credentials (\(server.endpoint)/container") == true)
    }
}

/// Results handed from threads to the test.
final class ConditionLockedArray: @unchecked Sendable {
    private let lock = ConditionLock()
    private var items: [Result<AWSCredentials, Error>] = []

    func append(_ item: Result<AWSCredentials, Error>) {
        lock.locked {
            items.append(item)
            lock.broadcast()
        }
    }

    func wait(for count: Int) -> [Result<AWSCredentials, Error>] {
        lock.locked {
            while items.count < count { lock.wait() }
            return items
        }
    }
}
