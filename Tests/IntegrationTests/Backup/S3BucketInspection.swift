import Foundation
import PITRNative
import PITRStorage
import TestSupport

/// What a test needs to see of a moto bucket beyond the `Storage` interface: multipart uploads
/// in progress (invisible to listings) and the ETag that tells a multipart object from a single PUT.
enum S3BucketInspection {
    /// The keys (repository-relative) of the multipart uploads in progress under `prefix`.
    static func pendingUploads(_ storage: S3Storage, under prefix: String) throws -> [String] {
        let configuration = storage.configuration
        let objectPrefix = configuration.prefix.isEmpty ? prefix : configuration.prefix + "/" + prefix
        return try MotoServer.pendingUploadKeys(bucket: configuration.bucket, prefix: objectPrefix).map { key in
            configuration.prefix.isEmpty ? key : String(key.dropFirst(configuration.prefix.count + 1))
        }
    }

    /// The number of parts of a multipart object (its ETag ends in "-N"), 0 for an object stored in one PUT.
    static func partCount(_ storage: S3Storage, key: String) throws -> Int {
        let configuration = storage.configuration
        let objectKey = configuration.prefix.isEmpty ? key : configuration.prefix + "/" + key
        let url = "\(try S3Services.moto.get())/\(configuration.bucket)/\(objectKey)"
        let response = try HTTPClient().perform(HTTPRequest(method: "HEAD", url: url, headers: [MotoServer.authorization]))
        guard response.status == 200, let etag = response.header("etag") else {
            throw HarnessError.system("HEAD \(url) answered HTTP \(response.status) without an ETag")
        }
        let trimmed = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let dash = trimmed.lastIndex(of: "-") else { return 0 }
        return Int(trimmed[trimmed.index(after: dash)...]) ?? 0
    }
}
