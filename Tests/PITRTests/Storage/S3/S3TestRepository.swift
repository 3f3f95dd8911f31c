import Foundation
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// A fresh bucket on the shared moto server and an `S3Storage` on it.
enum S3TestRepository {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    static func configuration(bucket: String, prefix: String = "", partSize: Int = S3Configuration.defaultPartSize,
                              readSize: Int = S3Configuration.defaultReadSize, endpoint: String? = nil) throws -> S3Configuration {
        let url = try endpoint ?? MotoServer.endpoint()
        guard let parsed = S3Endpoint.parse(url, style: .path) else { throw MotoStartError(reason: "bad endpoint \(url)") }
        return S3Configuration(bucket: bucket, prefix: prefix, endpoint: parsed, credentials: credentials, partSize: partSize, readSize: readSize,
                               retry: RetryPolicy(maxRetries: 2, budgetSeconds: 5, baseDelaySeconds: 0.01, maxDelaySeconds: 0.05))
    }

    /// Creates a bucket named after `hint` and returns a storage on it.
    static func make(_ hint: String, prefix: String = "", partSize: Int = S3Configuration.defaultPartSize,
                     readSize: Int = S3Configuration.defaultReadSize) throws -> S3Storage {
        let bucket = MotoServer.uniqueBucket(hint)
        let storage = try S3Storage(configuration: configuration(bucket: bucket, prefix: prefix, partSize: partSize, readSize: readSize),
                                    log: Log(level: .error))
        try MotoServer.createBucket(bucket)
        return storage
    }

    /// A storage on `direct`'s bucket that goes through `proxy`, with three retries.
    static func throughProxy(_ proxy: FaultProxy, to direct: S3Storage) throws -> S3Storage {
        var configuration = try configuration(bucket: direct.configuration.bucket, partSize: direct.configuration.partSize,
                                              readSize: direct.configuration.readSize, endpoint: proxy.endpoint)
        configuration.retry = RetryPolicy(maxRetries: 3, budgetSeconds: 30, baseDelaySeconds: 0.01, maxDelaySeconds: 0.1)
        return try S3Storage(configuration: configuration, log: Log(level: .error))
    }

    /// The multipart uploads in progress in the bucket (ListMultipartUploads).
    static func pendingUploads(_ storage: S3Storage) throws -> Int {
        try MotoServer.pendingUploadKeys(bucket: storage.configuration.bucket).count
    }
}

extension Storage {
    /// Writes `bytes` in writes of `chunk` bytes and commits.
    func store(_ key: String, _ bytes: [UInt8], chunk: Int = 100_000) throws -> CommitOutcome {
        let upload = try startUpload(key)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try bytes[offset..<end].withUnsafeBytes { try upload.write($0) }
            offset = end
        }
        return try upload.commit()
    }

    /// The whole object, read in 64 KiB reads.
    func load(_ key: String) throws -> [UInt8] {
        try readAll(try openForReading(key))
    }
}

/// Everything `source` gives, read in 64 KiB reads.
func readAll(_ source: ByteSource) throws -> [UInt8] {
    var bytes: [UInt8] = []
    var block = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { return bytes }
        bytes += block[..<n]
    }
}

func pattern(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    var state = UInt32(seed) | 0x9E37_0000
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}

extension S3Storage {
    /// Replaces the object under `key` with `bytes` in one unconditional PUT: what another writer than tailtown-pitr
    /// does (tailtown-pitr never replaces an object).
    func replace(_ key: String, _ bytes: [UInt8]) throws {
        _ = try client.send(try S3Client.Operation(method: "PUT", key: configuration.objectKey(key), body: bytes, checksummed: true))
    }
}
