import PITRSupport

/// A multipart upload in progress: invisible to object listings, its parts billed until it is
/// completed or aborted. A process killed mid-upload (SIGKILL, the OOM killer, a lost host) leaves one.
public struct S3PendingUpload: Equatable, Sendable {
    /// The repository-relative key the upload was for.
    public let key: String
    public let uploadID: String
    /// When S3 started it, as S3 reports it ("2026-11-27T03:54:45.000Z").
    public let initiated: String

    /// Whether S3 started it before `cutoff` (to the second); an upload without a date never is.
    public func started(before cutoff: UTCTime) -> Bool {
        // S3's "2026-11-27T03:54:45.000Z" and ours "2026-11-27T03:54:45Z" compare as text to the second.
        initiated.count >= 19 && initiated.prefix(19) < cutoff.iso8601.prefix(19)
    }
}

extension S3Storage {
    /// The multipart uploads in progress under `prefix` (repository-relative), past 1000 as well.
    public func pendingUploads(under prefix: String) throws -> [S3PendingUpload] {
        var uploads: [S3PendingUpload] = []
        var markers: (key: String, uploadID: String)?
        repeat {
            var query: [(name: String, value: String)] = [("prefix", configuration.objectKey(prefix)), ("uploads", "")]
            if let markers { query += [("key-marker", markers.key), ("upload-id-marker", markers.uploadID)] }
            let xml = Substring(String(decoding: try client.send(try S3Client.Operation(method: "GET", key: "", query: query)).body, as: UTF8.self))
            for upload in S3XML.elements("Upload", in: xml) {
                guard let key = S3XML.value("Key", in: upload), let uploadID = S3XML.value("UploadId", in: upload) else { continue }
                uploads.append(S3PendingUpload(key: configuration.repositoryKey(key), uploadID: uploadID,
                                               initiated: S3XML.value("Initiated", in: upload) ?? ""))
            }
            markers = nil
            if S3XML.value("IsTruncated", in: xml) == "true" {
                guard let key = S3XML.value("NextKeyMarker", in: xml), let uploadID = S3XML.value("NextUploadIdMarker", in: xml) else {
                    throw S3Error.malformedAnswer(request: "GET \(describe(prefix))?uploads", problem: "truncated listing without markers")
                }
                markers = (key, uploadID)
            }
        } while markers != nil
        return uploads
    }

    public func abandonedUploads(under prefix: String, startedBefore cutoff: UTCTime) throws -> [AbandonedUpload] {
        try pendingUploads(under: prefix).filter { $0.started(before: cutoff) }
            .map { AbandonedUpload(key: $0.key, size: nil, handle: $0.uploadID) }
    }

    /// Aborts each upload; one already gone is not an error.
    public func discard(_ uploads: [AbandonedUpload]) throws {
        for upload in uploads {
            _ = try client.send(try S3Client.Operation(method: "DELETE", key: configuration.objectKey(upload.key),
                                                       query: [("uploadId", upload.handle)], accepting: [404]))
        }
    }
}
