import Foundation
import PITR

/// What a test needs to see of a moto bucket beyond the `Storage` interface: multipart uploads
/// in progress (invisible to listings) and the ETag that tells a multipart object from a single PUT.
/// moto checks no signatures, so these requests carry a placeholder Authorization header.
enum S3BucketInspection {
    private static let authorization = ("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDINTEGRATION/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")

    /// The keys (repository-relative) of the multipart uploads in progress under `prefix`.
    static func pendingUploads(_ storage: S3Storage, under prefix: String) throws -> [String] {
        let configuration = storage.configuration
        let objectPrefix = configuration.prefix.isEmpty ? prefix : configuration.prefix + "/" + prefix
        var body: [UInt8] = []
        let url = "\(try S3Services.moto.get())/\(configuration.bucket)?uploads&prefix=\(objectPrefix)"
        let response = try HTTPClient().perform(HTTPRequest(method: "GET", url: url, headers: [authorization])) { body += $0 }
        guard response.status == 200 else { throw HarnessError.system("ListMultipartUploads answered HTTP \(response.status)") }
        return String(decoding: body, as: UTF8.self).components(separatedBy: "<Upload>").dropFirst().compactMap { upload in
            guard let start = upload.range(of: "<Key>"), let end = upload.range(of: "</Key>") else { return nil }
            let key = String(upload[start.upperBound..<end.lowerBound])
            return configuration.prefix.isEmpty ? key : String(key.dropFirst(configuration.prefix.count + 1))
        }
    }

    /// The number of parts of a multipart object (its ETag ends in "-N"), 0 for an object stored in one PUT.
    static func partCount(_ storage: S3Storage, key: String) throws -> Int {
        let configuration = storage.configuration
        let objectKey = configuration.prefix.isEmpty ? key : configuration.prefix + "/" + key
        let url = "\(try S3Services.moto.get())/\(configuration.bucket)/\(objectKey)"
        let response = try HTTPClient().perform(HTTPRequest(method: "HEAD", url: url, headers: [authorization]))
        guard response.status == 200, let etag = response.header("etag") else {
            throw HarnessError.system("HEAD \(url) answered HTTP \(response.status) without an ETag")
        }
        let trimmed = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let dash = trimmed.lastIndex(of: "-") else { return 0 }
        return Int(trimmed[trimmed.index(after: dash)...]) ?? 0
    }
}
