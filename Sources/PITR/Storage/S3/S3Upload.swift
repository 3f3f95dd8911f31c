import PITRSupport

/// An object being written to S3. Up to one part is buffered: an object that fits is sent
/// in one PUT at `commit`; a larger one becomes a multipart upload whose parts are sent as
/// they fill, completed at `commit` only after every part succeeded, and aborted on any
/// failure, so neither a partial object nor orphan parts stay behind.
final class S3Upload: Upload {
    private let storage: S3Storage
    private let client: S3Client
    private let key: String
    private let objectKey: String
    private let partSize: Int
    private var buffer: [UInt8] = []
    /// The upload's id, and each part's ETag and checksum (base64 SHA-256) so far.
    private var multipart: (uploadID: String, parts: [(etag: String, checksum: String)])?
    private var finished = false

    init(storage: S3Storage, client: S3Client, key: String) {
        self.storage = storage
        self.client = client
        self.key = key
        self.objectKey = client.configuration.objectKey(key)
        self.partSize = client.configuration.partSize
        // A whole part up front: the allocation is mapped lazily, so a small object touches
        // only its own pages, and a large one is never copied by the array growing.
        buffer.reserveCapacity(partSize)
    }

    deinit {
        if !finished { abort() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try checkOpen()
        var rest = bytes[...]
        while !rest.isEmpty {
            if buffer.count == partSize {
                // More bytes than one part: send the full part now (keeping memory at one part).
                try withAbortOnFailure { try sendPart() }
            }
            let count = min(rest.count, partSize - buffer.count)
            buffer += UnsafeRawBufferPointer(rebasing: rest.prefix(count))
            rest = rest.dropFirst(count)
        }
    }

    func commit() throws -> CommitOutcome {
        try checkOpen()
        if multipart == nil {
            finished = true
            return try storage.putObject(key: key, body: buffer)
        }
        return try withAbortOnFailure {
            if !buffer.isEmpty { try sendPart() }
            let outcome = try complete()
            if outcome == .alreadyExists { abort() }
            finished = true
            return outcome
        }
    }

    func abort() {
        guard !finished else { return }
        finished = true
        buffer = []
        guard let uploadID = multipart?.uploadID else { return }
        do {
            let operation = try S3Client.Operation(method: "DELETE", key: objectKey, query: [("uploadId", uploadID)], accepting: [404])
            _ = try client.send(operation)
        } catch {
            client.log.warning("cannot abort the multipart upload of \(client.describe(objectKey)) (upload id \(uploadID)): \(error); "
                + "its parts stay billed until a bucket lifecycle rule removes incomplete multipart uploads")
        }
    }

    /// An upload aborted by an earlier failure (or already committed) takes no more bytes.
    private func checkOpen() throws {
        guard !finished else {
            throw StorageError.unreachable(object: client.describe(objectKey), reason: "the upload already ended (aborted after a failure, or committed)")
        }
    }

    private func withAbortOnFailure<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            abort()
            throw error
        }
    }

    private func sendPart() throws {
        if multipart == nil {
            let operation = try S3Client.Operation(
                method: "POST", key: objectKey, query: [("uploads", "")],
                headers: [("Content-Type", "application/octet-stream"), ("x-amz-checksum-algorithm", "SHA256")] + client.configuration.newObjectHeaders(key: key))
            let what = "POST \(client.describe(objectKey))?uploads"
            let (uploadID, retried) = try client.retrying(what) { attempt in
                let response = try client.attempt(operation)
                guard let uploadID = S3XML.value("UploadId", in: Substring(String(decoding: response.body, as: UTF8.self))) else {
                    throw S3Error.malformedAnswer(request: what, problem: "no UploadId")
                }
                return (uploadID, attempt > 0)
            }
            multipart = (uploadID, [])
            // An earlier attempt may have created an upload whose answer was lost.
            if retried { abortStrayUploads(keeping: uploadID) }
        }
        guard let uploadID = multipart?.uploadID, let partNumber = multipart.map({ $0.parts.count + 1 }) else { return }
        let operation = try S3Client.Operation(
            method: "PUT", key: objectKey, query: [("partNumber", "\(partNumber)"), ("uploadId", uploadID)], body: buffer, checksummed: true)
        let response = try client.send(operation)
        guard let etag = response.header("etag"), let checksum = operation.checksum else {
            throw S3Error.malformedAnswer(request: "PUT \(client.describe(objectKey)) part \(partNumber)", problem: "no ETag")
        }
        multipart?.parts.append((etag, checksum))
        buffer.removeAll(keepingCapacity: true)
    }

    /// Aborts the other multipart uploads of this exact key, which only a lost answer to
    /// our own CreateMultipartUpload leaves behind (PostgreSQL never archives one file twice at once).
    private func abortStrayUploads(keeping uploadID: String) {
        do {
            let listing = try S3Client.Operation(method: "GET", key: "", query: [("prefix", objectKey), ("uploads", "")])
            let xml = Substring(String(decoding: try client.send(listing).body, as: UTF8.self))
            for upload in S3XML.elements("Upload", in: xml) where S3XML.value("Key", in: upload) == objectKey {
                guard let stray = S3XML.value("UploadId", in: upload), stray != uploadID else { continue }
                let abort = try S3Client.Operation(method: "DELETE", key: objectKey, query: [("uploadId", stray)], accepting: [404])
                _ = try client.send(abort)
            }
        } catch {
            client.log.warning("cannot look for stray multipart uploads of \(client.describe(objectKey)): \(error); "
                + "a bucket lifecycle rule that aborts incomplete multipart uploads removes them")
        }
    }

    private func complete() throws -> CommitOutcome {
        guard let (uploadID, sent) = multipart else { return .stored }
        let parts = sent.enumerated().map {
            "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escape($0.element.etag))</ETag>"
                + "<ChecksumSHA256>\($0.element.checksum)</ChecksumSHA256></Part>"
        }
        let body = Array("<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>".utf8)
        let headers: [(name: String, value: String)] = [("Content-Type", "application/xml"), ("If-None-Match", "*")]
        let operation = try S3Client.Operation(method: "POST", key: objectKey, query: [("uploadId", uploadID)],
                                               headers: headers, body: body, accepting: [404, 412])
        let what = "POST \(client.describe(objectKey))?uploadId"
        return try client.retrying(what) { attempt in
            let response = try client.attempt(operation)
            switch response.status {
            case 412:
                return .alreadyExists
            case 404 where attempt > 0:
                // An earlier attempt completed the upload but its answer was lost; the
                // caller compares contents as for any existing object.
                return .alreadyExists
            case 404:
                throw client.refusal(operation, response)
            default:
                // S3 may answer 200 and report a failure in the body.
                let xml = Substring(String(decoding: response.body, as: UTF8.self))
                if let code = S3XML.value("Code", in: xml), xml.contains("<Error>") {
                    throw S3Error.refused(request: what, status: response.status, code: code, message: S3XML.value("Message", in: xml) ?? "")
                }
                // The lock asked for at CreateMultipartUpload, set again on the whole object: not every store keeps it.
                if let lock = client.configuration.objectLock {
                    try storage.lock(objectKey: objectKey, until: UTCTime(secondsSinceEpoch: UTCTime.now().secondsSinceEpoch + lock.secondsAtWrite))
                }
                return .stored
            }
        }
    }
}
