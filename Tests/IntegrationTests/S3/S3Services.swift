import Foundation
import PITRRepository
import PITRStorage
import PITRSupport
import TestSupport

/// The S3 side of the S3 integration tests: the shared moto server (TestSupport), and a
/// tailtown-pitr config for a bucket.
enum S3Services {
    /// "http://127.0.0.1:PORT" of a moto server that exits with this test process.
    static var moto: Result<String, HarnessError> { MotoServer.shared.mapError { .system($0.description) } }

    static let credentials = AWSCredentials(accessKeyID: "AKIDINTEGRATION", secretAccessKey: "integration-secret-key")

    /// Creates a bucket on moto (with Object Lock enabled when `objectLock`) and returns a storage on `s3://bucket/prefix`
    /// for inspecting it, which has no lock setting.
    static func makeBucket(_ hint: String, prefix: String, objectLock: Bool = false) throws -> S3Storage {
        let endpoint = try moto.get()
        let bucket = MotoServer.uniqueBucket(hint)
        try MotoServer.createBucket(bucket, objectLock: objectLock)
        guard let parsed = S3Endpoint.parse(endpoint, style: .path) else { throw HarnessError.system("bad moto endpoint \(endpoint)") }
        return try S3Storage(configuration: S3Configuration(bucket: bucket, prefix: prefix, endpoint: parsed, credentials: credentials),
                             log: Log(level: .error))
    }

    /// A tailtown-pitr config file for `storage`'s bucket and prefix reached through `endpoint`
    /// (moto itself or a fault proxy in front of it); with `staticKeys`, the access keys of `credentials`,
    /// else `extra` says where credentials come from.
    static func configure(in sandbox: Sandbox, storage: S3Storage, endpoint: String, compression: String, encrypted: Bool,
                          staticKeys: Bool = true, extra: [String] = []) throws -> Tailtown {
        var lines = [
            "# tailtown-pitr settings for one S3 integration test",
            "TAILTOWN_REPO=s3://\(storage.configuration.bucket)/\(storage.configuration.prefix)",
            "TAILTOWN_COMPRESSION=\(compression)",
            "AWS_ENDPOINT_URL=\(endpoint)",
            "AWS_REGION=eu-west-1",
            "TAILTOWN_CACHE_DIR=\(sandbox.cacheFolder)",
        ] + (staticKeys ? ["AWS_ACCESS_KEY_ID=\(credentials.accessKeyID)", "AWS_SECRET_ACCESS_KEY=integration-secret-key"] : []) + extra
        if encrypted {
            let key = sandbox.path("tailtown.key")
            try sandbox.tailtown(["keygen", key]).check()
            lines.append("TAILTOWN_ENCRYPTION_KEY_FILE=\(key)")
        }
        let config = try sandbox.writeFile("tailtown-pitr-s3-\(UUID().uuidString.prefix(8)).conf", lines.joined(separator: "\n") + "\n")
        // The file repository of the harness is not used by S3 tests.
        return Tailtown(sandbox: sandbox, configFile: config, repository: Repository(root: sandbox.path("unused")))
    }

    /// The segment objects of the archive, by name.
    static func segmentNames(_ storage: S3Storage) throws -> [String] {
        try storage.list(prefix: "wal/").map { String($0.split(separator: "/").last ?? "") }.filter { $0.count == 24 }.sorted()
    }

    /// The bucket's multipart uploads in progress.
    static func pendingUploads(_ storage: S3Storage) throws -> Int {
        try MotoServer.pendingUploadKeys(bucket: storage.configuration.bucket).count
    }

    /// The fault proxy in front of moto, injecting faults at `rate`, with a fresh seed each run.
    static func faultProxy(rate: Double) throws -> FaultProxy {
        let proxy = try FaultProxy(upstream: try moto.get(), seed: Int.random(in: 1...1_000_000))
        proxy.setRate(rate)
        return proxy
    }
}
