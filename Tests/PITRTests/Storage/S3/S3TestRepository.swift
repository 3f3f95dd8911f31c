import Foundation
@testable import PITR

/// A fresh bucket on the shared moto server and an `S3Storage` on it.
enum S3TestRepository {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    static func configuration(bucket: String, prefix: String = "", partSize: Int = S3Configuration.defaultPartSize,
                              endpoint: String? = nil) throws -> S3Configuration {
        let url = try endpoint ?? MotoServer.endpoint()
        guard let parsed = S3Endpoint.parse(url, style: .path) else { throw MotoStartError(reason: "bad endpoint \(url)") }
        return S3Configuration(bucket: bucket, prefix: prefix, endpoint: parsed, credentials: credentials, partSize: partSize,
                               retry: RetryPolicy(maxRetries: 2, budgetSeconds: 5, baseDelaySeconds: 0.01, maxDelaySeconds: 0.05))
    }

    /// Creates a bucket named after `hint` and returns a storage on it.
    static func make(_ hint: String, prefix: String = "", partSize: Int = S3Configuration.defaultPartSize) throws -> S3Storage {
        let bucket = MotoServer.uniqueBucket(hint)
        let storage = try S3Storage(configuration: configuration(bucket: bucket, prefix: prefix, partSize: partSize), log: Log(level: .error))
        try createBucket(bucket)
        return storage
    }

    static func createBucket(_ bucket: String) throws {
        let client = try HTTPClient()
        let response = try client.perform(HTTPRequest(method: "PUT", url: "\(try MotoServer.endpoint())/\(bucket)", headers: [
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"),
        ]))
        guard response.status == 200 else { throw MotoStartError(reason: "cannot create bucket \(bucket): HTTP \(response.status)") }
    }

    /// The multipart uploads in progress in the bucket (ListMultipartUploads).
    static func pendingUploads(_ storage: S3Storage) throws -> Int {
        let client = try HTTPClient()
        var body: [UInt8] = []
        let response = try client.perform(HTTPRequest(method: "GET", url: "\(try MotoServer.endpoint())/\(storage.configuration.bucket)?uploads", headers: [
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"),
        ])) { body += $0 }
        guard response.status == 200 else { throw MotoStartError(reason: "ListMultipartUploads: HTTP \(response.status)") }
        return String(decoding: body, as: UTF8.self).components(separatedBy: "<Upload>").count - 1
    }
}

extension Storage {
    /// Writes `bytes` in writes of `chunk` bytes and commits.
    func store(_ key: String, _ bytes: [UInt8], chunk: Int = 100_000, replace: Bool = false) throws -> CommitOutcome {
        let upload = try startUpload(key)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try bytes[offset..<end].withUnsafeBytes { try upload.write($0) }
            offset = end
        }
        return try upload.commit(replace: replace)
    }

    /// The whole object, read in 64 KiB reads.
    func load(_ key: String) throws -> [UInt8] {
        let source = try openForReading(key)
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try block.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return bytes }
            bytes += block[..<n]
        }
    }
}

func pattern(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    var state = UInt32(seed) | 0x9E37_0000
    return (0..<count).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(truncatingIfNeeded: state >> 24)
    }
}
