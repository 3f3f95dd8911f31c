import PITRNative
import PITRSupport

/// A repository in an S3 bucket (AWS or a compatible store), under an optional prefix.
///
/// One HTTP connection serves every request of the process. New objects are written with
/// `If-None-Match: *` unless replacing, so an archived object is never overwritten; a
/// server that answers 501 to conditional writes gets HEAD-then-PUT instead (said once in
/// the log). A GET or HEAD answered 403 is settled by listing the key: S3 answers 403 for
/// a missing key when the caller may not list, and "missing" must not be mistaken for
/// "forbidden" or the reverse.
public final class S3Storage: Storage {
    public let configuration: S3Configuration
    let client: S3Client
    public var requests: RequestCounts? { client.requests }
    private var conditionalWritesUnsupported = false

    public var uploadsAreIndependent: Bool { false }

    public init(configuration: S3Configuration, log: Log = Log()) throws {
        guard configuration.partSize >= S3Configuration.minimumPartSize else {
            throw S3Error.configuration(setting: "TAILTOWN_S3_PART_SIZE", problem: "is \(configuration.partSize) bytes: S3 needs at least 5 MiB (5242880)")
        }
        self.configuration = configuration
        client = try S3Client(configuration: configuration, log: log)
    }

    public func describe(_ key: String) -> String {
        client.describe(configuration.objectKey(key))
    }

    public func size(of key: String) throws -> Int? {
        let objectKey = configuration.objectKey(key)
        let operation = try S3Client.Operation(method: "HEAD", key: objectKey, accepting: [403, 404])
        let response = try client.send(operation)
        switch response.status {
        case 404:
            return nil
        case 403:
            do {
                throw try S3Storage.disambiguateForbidden(client: client, objectKey: objectKey, response: response, operation: operation)
            } catch StorageError.notFound {
                return nil
            }
        default:
            guard let length = response.header("content-length").flatMap({ Int($0) }) else {
                throw S3Error.malformedAnswer(request: "HEAD \(describe(key))", problem: "no Content-Length")
            }
            return length
        }
    }

    public func openForReading(_ key: String) throws -> ByteSource {
        let (configuration, log) = (self.configuration, client.log)
        return try S3ObjectReader(client: client, objectKey: configuration.objectKey(key), chunkSize: configuration.readSize,
                                  openReadAheadClient: { try S3Client(configuration: configuration, log: log) })
    }

    public func openSequence(_ keys: [String]) -> ObjectSequence {
        let (configuration, log) = (self.configuration, client.log)
        return S3ObjectSequence(client: client, objectKeys: keys.map(configuration.objectKey), chunkSize: configuration.readSize,
                                openReadAheadClient: { try S3Client(configuration: configuration, log: log) })
    }

    public func readTail(of key: String, count: Int) throws -> [UInt8] {
        try read(key, count: count, range: "bytes=-\(count)") { $0.suffix(count) }
    }

    public func readHead(of key: String, count: Int) throws -> [UInt8] {
        try read(key, count: count, range: "bytes=0-\(count - 1)") { $0.prefix(count) }
    }

    /// A ranged GET; `whole` cuts the range out of a whole object when the server ignored Range.
    private func read(_ key: String, count: Int, range: String, whole: @escaping ([UInt8]) -> ArraySlice<UInt8>) throws -> [UInt8] {
        guard count > 0 else {
            guard try size(of: key) != nil else { throw StorageError.notFound(object: describe(key)) }
            return []
        }
        let objectKey = configuration.objectKey(key)
        let operation = try S3Client.Operation(method: "GET", key: objectKey, headers: [("Range", range)], accepting: [403, 404, 416])
        return try client.retrying("GET \(describe(key))") { _ in
            var bytes: [UInt8] = []
            let response = try client.attempt(operation) { bytes += $0 }
            switch response.status {
            case 404:
                guard client.isMissingKey(response) else { throw client.refusal(operation, response) }
                throw StorageError.notFound(object: describe(key))
            case 403: throw try S3Storage.disambiguateForbidden(client: client, objectKey: objectKey, response: response, operation: operation)
            case 416: return []  // an empty object has no satisfiable range
            case 200: return Array(whole(bytes))  // the range was ignored
            default: return bytes
            }
        }
    }

    public func startUpload(_ key: String) throws -> Upload {
        S3Upload(storage: self, client: client, key: key)
    }

    /// Nothing to do: S3 answers a write only once the object is stored durably.
    public func makeDurable(_ key: String) throws {}

    public func listObjects(prefix: String) throws -> [StoredObject] {
        var objects: [StoredObject] = []
        var token: String?
        let objectPrefix = configuration.objectKey(prefix)
        let repositoryPrefix = configuration.prefix.isEmpty ? "" : configuration.prefix + "/"
        repeat {
            var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", objectPrefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try client.send(try S3Client.Operation(method: "GET", key: "", query: query))
            let xml = Substring(String(decoding: response.body, as: UTF8.self))
            for contents in S3XML.elements("Contents", in: xml) {
                guard let key = S3XML.value("Key", in: contents), key.hasPrefix(repositoryPrefix) else { continue }
                objects.append(StoredObject(key: configuration.repositoryKey(key),
                                            size: Int(S3XML.value("Size", in: contents) ?? "") ?? 0,
                                            // S3 leaves the class out for STANDARD on some listings and servers.
                                            storageClass: S3XML.value("StorageClass", in: contents) ?? "STANDARD",
                                            lastModified: S3XML.value("LastModified", in: contents).flatMap(Self.listingTime)))
            }
            token = S3XML.value("IsTruncated", in: xml) == "true" ? S3XML.value("NextContinuationToken", in: xml) : nil
            if S3XML.value("IsTruncated", in: xml) == "true", token == nil {
                throw S3Error.malformedAnswer(request: "GET \(client.describe(objectPrefix))?list-type=2", problem: "truncated listing without a continuation token")
            }
        } while token != nil
        return objects.sorted { $0.key < $1.key }
    }

    /// LastModified as S3 lists it, "2026-11-27T01:02:03.000Z", to the second.
    static func listingTime(_ text: String) -> UTCTime? {
        text.count >= 19 ? UTCTime(iso8601: text.prefix(19) + "Z") : nil
    }

    public func remove(_ key: String) throws {
        _ = try client.send(try S3Client.Operation(method: "DELETE", key: configuration.objectKey(key), accepting: [404]))
    }

    /// Removes many objects with DeleteObjects, 1000 keys per request (S3's limit).
    /// Missing keys are not errors; a key S3 could not delete fails the call, naming it.
    public func remove(keys: [String]) throws {
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(start + 1000, keys.count)]
            start += batch.count
            let objects = batch.map { "<Object><Key>\(S3XML.escape(configuration.objectKey($0)))</Key></Object>" }.joined()
            let body = Array("<Delete><Quiet>true</Quiet>\(objects)</Delete>".utf8)
            // DeleteObjects requires a body checksum: SHA-256 (already computed for the signature) in base64.
            let checksum = Base64.encode(try SHA256Hasher.digest(body))
            let operation = try S3Client.Operation(
                method: "POST", key: "", query: [("delete", "")],
                headers: [("Content-Type", "application/xml"), ("x-amz-checksum-sha256", checksum), ("x-amz-sdk-checksum-algorithm", "SHA256")],
                body: body)
            let response = try client.send(operation)
            let xml = Substring(String(decoding: response.body, as: UTF8.self))
            if let failed = S3XML.elements("Error", in: xml).first {
                throw S3Error.refused(request: "DELETE \(client.describe(S3XML.value("Key", in: failed) ?? "?"))", status: response.status,
                                      code: S3XML.value("Code", in: failed) ?? "Error", message: S3XML.value("Message", in: failed) ?? "")
            }
        }
    }

    /// Stores `body` under `key` in one PUT, conditionally unless `replace`.
    func putObject(key: String, body: [UInt8], replace: Bool) throws -> CommitOutcome {
        let objectKey = configuration.objectKey(key)
        var headers: [(name: String, value: String)] = [("Content-Type", "application/octet-stream")] + configuration.newObjectHeaders
        if !replace, conditionalWritesUnsupported, try size(of: key) != nil {
            return .alreadyExists
        }
        if !replace, !conditionalWritesUnsupported { headers.append(("If-None-Match", "*")) }
        let operation = try S3Client.Operation(method: "PUT", key: objectKey, headers: headers, body: body, accepting: [412, 501])
        let response = try client.send(operation)
        switch response.status {
        case 412:
            return .alreadyExists
        case 501 where !replace && !conditionalWritesUnsupported:
            conditionalWritesUnsupported = true
            client.log.warning("\(configuration.endpoint.host) does not support conditional writes (If-None-Match): "
                + "checking for existing objects with HEAD before each PUT instead, which a concurrent writer can race")
            return try putObject(key: key, body: body, replace: replace)
        case 501:
            throw client.refusal(operation, response)
        default:
            return .stored
        }
    }

    /// Settles a 403 on reading `objectKey`: lists that exact key. Listed means it exists
    /// and reading is forbidden; not listed means missing (`StorageError.notFound`); a
    /// listing that is forbidden too leaves it undecidable, which is an error, never "missing".
    static func disambiguateForbidden(client: S3Client, objectKey: String, response: HTTPResponse, operation: S3Client.Operation) throws -> Error {
        let listing = try S3Client.Operation(method: "GET", key: "", query: [("list-type", "2"), ("prefix", objectKey), ("max-keys", "1")], accepting: [403])
        let answer = try client.send(listing)
        if answer.status == 403 { return S3Error.missingOrForbidden(object: client.describe(objectKey)) }
        let xml = Substring(String(decoding: answer.body, as: UTF8.self))
        let listed = S3XML.elements("Contents", in: xml).contains { S3XML.value("Key", in: $0) == objectKey }
        if listed { return S3Error.forbidden(object: client.describe(objectKey)) }
        return StorageError.notFound(object: client.describe(objectKey))
    }
}
