import PITRNative
import PITRSupport

/// A repository in an S3 bucket (AWS or a compatible store), under an optional prefix.
///
/// One HTTP connection serves every request of the process. New objects are written with
/// `If-None-Match: *`, so an archived object is never overwritten; a
/// server that answers 501 to conditional writes gets HEAD-then-PUT instead (said once in
/// the log). A GET or HEAD answered 403 AccessDenied is settled by listing the key: S3
/// answers that for a missing key when the caller may not list, and "missing" must not be
/// mistaken for "forbidden" or the reverse. Any other 403 (a wrong secret, an expired token,
/// an archived object) is reported as its own code.
public final class S3Storage: Storage {
    public let configuration: S3Configuration
    let client: S3Client
    public var requests: RequestCounts? { client.requests }
    private var conditionalWritesUnsupported = false
    /// The versions `hiddenVersion` found behind delete markers, by object key: such a key's lock is extended on its
    /// version directly, never through the marker, which has no retention (`lock`). Touched only inside
    /// `hiddenVersionsLock`: `lock` also runs on `MirroredStorage`'s thread (a multipart upload's commit to the second).
    private var hiddenVersions: [String: String] = [:]
    private let hiddenVersionsLock = ConditionLock()

    public var uploadsAreIndependent: Bool { false }

    public init(configuration: S3Configuration, log: Log = Log()) throws {
        guard configuration.partSize >= S3Configuration.minimumPartSize else {
            throw S3Error.configuration(setting: "TAILTOWN_S3_PART_SIZE", problem: "is \(configuration.partSize) bytes: S3 needs at least 5 MiB (5242880)")
        }
        self.configuration = configuration
        client = try S3Client(configuration: configuration, log: log)
    }

    public var objectLock: S3ObjectLock? { configuration.objectLock }

    /// GetObjectLockConfiguration: the bucket must have Object Lock enabled (which S3 allows only on a versioned bucket).
    public func checkLocking() throws {
        guard let mode = objectLock?.mode.rawValue else { return }
        let operation = try S3Client.Operation(method: "GET", key: "", query: [("object-lock", "")], accepting: [404, 501])
        let response = try client.send(operation)
        let xml = Substring(String(decoding: response.body, as: UTF8.self))
        guard response.isSuccess, S3XML.value("ObjectLockEnabled", in: xml) == "Enabled" else {
            let found = response.status == 501 ? "does not support Object Lock" : "has no Object Lock enabled"
            throw S3Error.configuration(setting: "TAILTOWN_S3_OBJECT_LOCK", problem: "is \(mode.lowercased()) but bucket \(configuration.bucket) "
                + "\(found): use a bucket made with Object Lock (aws s3api create-bucket --object-lock-enabled-for-bucket), or unset the setting")
        }
    }

    /// Two conditional PUTs (If-None-Match: *) of one new probe object under `probes/`: the second must be refused (412).
    /// A store that takes it would let a second writer overwrite an archived object without a word, and is refused. A
    /// store that answers 501 is checked with a HEAD before each PUT instead, with a warning (`putObject`). The probe (a
    /// few bytes, once per repository) stays: the archiver's role may not delete anything, and Object Lock would keep it.
    public func checkConditionalWrites() throws -> Bool {
        let probe = "probes/conditional-write." + hex(try SecureRandom.bytes(8))
        let body = Array("tailtown-pitr probe of conditional writes\n".utf8)
        _ = try putObject(key: probe, body: body)
        let second = try putObject(key: probe, body: body)
        guard second == .alreadyExists else {
            throw S3Error.unsafeStore(store: "\(configuration.endpoint.host) (bucket \(configuration.bucket))",
                                      missing: "conditional writes (If-None-Match: *): a second PUT of \(describe(probe)) was taken instead of refused with 412, "
                                        + "so an archived object could be overwritten")
        }
        return true
    }

    /// PutObjectRetention: locks `objectKey` (the current version; the newest one when a delete marker hides it,
    /// `hiddenVersion`) in the configured mode until `until`, which S3 takes only as long or longer than a lock the
    /// object has. A delete marker has no retention (S3 answers 405, moto 500), so a key found hidden (`delete` reads
    /// each lock before it extends it) is locked on its version without asking the marker first.
    func lock(objectKey: String, until: UTCTime, versionID given: String? = nil) throws {
        guard let mode = objectLock?.mode.rawValue else { return }
        let versionID = given ?? hiddenVersionsLock.locked { hiddenVersions[objectKey] }
        let body = Array(("<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>\(mode)</Mode>"
            + "<RetainUntilDate>\(until.iso8601)</RetainUntilDate></Retention>").utf8)
        let operation = try S3Client.Operation(method: "PUT", key: objectKey, query: [("retention", "")] + (versionID.map { [("versionId", $0)] } ?? []),
                                               headers: [("Content-Type", "application/xml")], body: body, checksummed: true)
        do {
            _ = try client.send(operation)
        } catch {
            // A marker not met before (added since this process read the lock): the version it hides is locked instead.
            guard versionID == nil, let hidden = (try? hiddenVersion(of: objectKey)) ?? nil else { throw error }
            try lock(objectKey: objectKey, until: until, versionID: hidden)
        }
    }

    public func extendLock(of key: String, until: UTCTime) throws {
        try lock(objectKey: configuration.objectKey(key), until: until)
    }

    /// The retain-until date a HEAD shows (which needs s3:GetObjectRetention).
    public func lockEnd(of key: String) throws -> UTCTime? {
        guard objectLock != nil else { return nil }
        return try lockEnd(objectKey: configuration.objectKey(key), versionID: nil)
    }

    /// The same of a version (nil: the current one; a key a delete marker hides shows its newest, `hiddenVersion`).
    private func lockEnd(objectKey: String, versionID: String?) throws -> UTCTime? {
        let response = try client.send(try S3Client.Operation(method: "HEAD", key: objectKey, query: versionID.map { [("versionId", $0)] } ?? [],
                                                              accepting: [404]))
        if response.status == 404, versionID == nil, let hidden = try hiddenVersion(of: objectKey) {
            return try lockEnd(objectKey: objectKey, versionID: hidden)
        }
        return response.header("x-amz-object-lock-retain-until-date").flatMap(Self.listingTime)
    }

    public func hiddenObjects(prefix: String) throws -> [String] {
        guard let lock = objectLock else { return [] }
        let versions = try S3VersionedDeletion(storage: self, lock: lock).versions(in: configuration.objectKey(prefix), deep: true)
        return versions.filter { $0.value.contains { $0.isLatest && $0.isDeleteMarker } }.keys.map(configuration.repositoryKey).sorted()
    }

    public func removeNoncurrentVersions(now: UTCTime) throws -> (removed: Int, locked: [LockedObject]) {
        guard let lock = objectLock else { return (0, []) }
        return try S3VersionedDeletion(storage: self, lock: lock).removeNoncurrent(now: now)
    }

    public func archivedState(of key: String) throws -> ArchivedState? {
        let response = try client.send(try S3Client.Operation(method: "HEAD", key: configuration.objectKey(key), accepting: [404]))
        guard response.status != 404 else { throw StorageError.notFound(object: describe(key)) }
        guard let archiveClass = ArchiveClass(storageClass: response.header("x-amz-storage-class")) else { return nil }
        return ArchivedState(archiveClass: archiveClass, thaw: ThawState(restoreHeader: response.header("x-amz-restore")))
    }

    /// RestoreObject (POST ?restore): 202 a thaw began, 200 the object is readable already, 409 RestoreAlreadyInProgress.
    public func requestThaw(of key: String, tier: ThawTier, days: Int) throws -> ThawRequestOutcome {
        let body = Array(("<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Days>\(days)</Days>"
            + "<GlacierJobParameters><Tier>\(tier.s3Name)</Tier></GlacierJobParameters></RestoreRequest>").utf8)
        let operation = try S3Client.Operation(method: "POST", key: configuration.objectKey(key), query: [("restore", "")],
                                               headers: [("Content-Type", "application/xml")], body: body, accepting: [409], checksummed: true)
        let response = try client.send(operation)
        switch response.status {
        case 409:
            guard client.refusal(operation, response).code == "RestoreAlreadyInProgress" else { throw client.refusal(operation, response) }
            return .alreadyOngoing
        case 200: return .alreadyReadable
        default: return .started
        }
    }

    public func describe(_ key: String) -> String {
        client.describe(configuration.objectKey(key))
    }

    public func size(of key: String) throws -> Int? {
        let objectKey = configuration.objectKey(key)
        return try size(of: key, objectKey: objectKey, versionID: nil)
    }

    private func size(of key: String, objectKey: String, versionID: String?) throws -> Int? {
        let operation = try S3Client.Operation(method: "HEAD", key: objectKey, query: versionID.map { [("versionId", $0)] } ?? [], accepting: [403, 404])
        let response = try client.send(operation)
        switch response.status {
        case 404:
            guard versionID == nil, let hidden = try hiddenVersion(of: objectKey) else { return nil }
            return try size(of: key, objectKey: objectKey, versionID: hidden)
        case 403:
            // A HEAD answer has no body to name its cause: a one-byte GET reads the error code.
            return try sizeByOneByteGet(key)
        default:
            guard let length = response.header("content-length").flatMap({ Int($0) }) else {
                throw S3Error.malformedAnswer(request: "HEAD \(describe(key))", problem: "no Content-Length")
            }
            return length
        }
    }

    /// The size of `key` from a ranged GET of its first byte (Content-Range), nil when it is missing.
    private func sizeByOneByteGet(_ key: String) throws -> Int? {
        let objectKey = configuration.objectKey(key)
        let operation = try S3Client.Operation(method: "GET", key: objectKey, headers: [("Range", "bytes=0-0")], accepting: [403, 404, 416])
        let response = try client.send(operation)
        switch response.status {
        case 404:
            guard client.isMissingKey(response) else { throw client.refusal(operation, response) }
            return nil
        case 403:
            do {
                throw try S3Storage.settleForbidden(client: client, objectKey: objectKey, response: response, operation: operation)
            } catch StorageError.notFound {
                return nil
            }
        case 416:
            return 0  // an empty object has no satisfiable range
        case 200:
            return response.body.count  // the range was ignored
        default:
            guard let size = S3ObjectReader.totalSize(response.header("content-range")) else {
                throw S3Error.malformedAnswer(request: "GET \(describe(key))", problem: "206 without a valid Content-Range")
            }
            return size
        }
    }

    public func openForReading(_ key: String) throws -> ByteSource {
        let (configuration, log) = (self.configuration, client.log)
        let objectKey = configuration.objectKey(key)
        func open(_ versionID: String?) throws -> ByteSource {
            try S3ObjectReader(client: client, objectKey: objectKey, versionID: versionID, chunkSize: configuration.readSize,
                               openReadAheadClient: { try S3Client(configuration: configuration, log: log) })
        }
        do {
            return try open(nil)
        } catch StorageError.notFound(let object) {
            guard let hidden = try hiddenVersion(of: objectKey) else { throw StorageError.notFound(object: object) }
            return try open(hidden)
        }
    }

    /// In a locked repository, the newest version of `objectKey` when a delete marker hides it. With Object Lock the
    /// bucket is versioned, and a DELETE without a version id does not delete a locked object: it adds a delete marker,
    /// after which the key answers 404. That must not end a recovery early, so a read that finds nothing looks at the
    /// key's versions (ListObjectVersions) and reads the newest, with a warning. nil when no version is left, or when
    /// objects are not locked here (where a 404 is the answer).
    func hiddenVersion(of objectKey: String) throws -> String? {
        guard configuration.objectLock != nil else { return nil }
        let listing = try S3Client.Operation(method: "GET", key: "", query: [("prefix", objectKey), ("versions", "")])
        let xml = Substring(String(decoding: try client.send(listing).body, as: UTF8.self))
        guard let version = S3XML.elements("Version", in: xml).first(where: { S3XML.value("Key", in: $0) == objectKey }),
              let id = S3XML.value("VersionId", in: version) else { return nil }
        hiddenVersionsLock.locked { hiddenVersions[objectKey] = id }
        client.log.warnReadThroughDeleteMarker(client.describe(objectKey), "\(client.describe(objectKey)) is hidden by a delete marker (it was "
            + "deleted without a version id, which a locked object survives): reading its newest version \(id.sanitizedServerText(limit: 100)); "
            + "'verify' reports every such object")
        return id
    }

    public func openSequence(_ keys: [String]) -> ObjectSequence {
        let (configuration, log) = (self.configuration, client.log)
        return S3ObjectSequence(client: client, objectKeys: keys.map(configuration.objectKey), chunkSize: configuration.readSize,
                                openReadAheadClient: { try S3Client(configuration: configuration, log: log) },
                                hiddenVersion: { try self.hiddenVersion(of: $0) })
    }

    public func readTail(of key: String, count: Int) throws -> [UInt8] {
        try read(key, count: count, range: "bytes=-\(count)") { $0.suffix(count) }
    }

    public func readHead(of key: String, count: Int) throws -> [UInt8] {
        try read(key, count: count, range: "bytes=0-\(count - 1)") { $0.prefix(count) }
    }

    /// A ranged GET; `whole` cuts the range out of a whole object when the server ignored Range.
    /// `versionID`: a version a delete marker hides (`hiddenVersion`), nil for the current one.
    private func read(_ key: String, count: Int, range: String, versionID: String? = nil,
                      whole: @escaping ([UInt8]) -> ArraySlice<UInt8>) throws -> [UInt8] {
        guard count > 0 else {
            guard try size(of: key) != nil else { throw StorageError.notFound(object: describe(key)) }
            return []
        }
        let objectKey = configuration.objectKey(key)
        let operation = try S3Client.Operation(method: "GET", key: objectKey, query: versionID.map { [("versionId", $0)] } ?? [],
                                               headers: [("Range", range)], accepting: [403, 404, 416])
        let bytes: [UInt8]? = try client.retrying("GET \(describe(key))") { _ in
            var bytes: [UInt8] = []
            let response = try client.attempt(operation) { bytes += $1 }
            switch response.status {
            case 404:
                guard client.isMissingKey(response) else { throw client.refusal(operation, response) }
                return nil
            case 403: throw try S3Storage.settleForbidden(client: client, objectKey: objectKey, response: response, operation: operation)
            case 416: return []  // an empty object has no satisfiable range
            case 200: return Array(whole(bytes))  // the range was ignored
            default: return bytes
            }
        }
        if let bytes { return bytes }
        guard versionID == nil, let hidden = try hiddenVersion(of: objectKey) else { throw StorageError.notFound(object: describe(key)) }
        return try read(key, count: count, range: range, versionID: hidden, whole: whole)
    }

    public func startUpload(_ key: String) throws -> Upload {
        S3Upload(storage: self, client: client, key: key)
    }

    /// Nothing to do: S3 answers a write only once the object is stored durably.
    public func makeDurable(_ key: String) throws {}

    /// With Object Lock, the listing shows the objects a delete marker hides too (`listObjectsBehindDeleteMarkers`).
    public func listObjects(prefix: String) throws -> [StoredObject] {
        if let lock = objectLock { return try listObjectsBehindDeleteMarkers(prefix: prefix, lock: lock) }
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

    /// In a locked repository, every key under `prefix` with a version, the newest one listed, from one listing of the
    /// versions in place of the listing of the objects (ListObjectVersions, as many requests): a key whose newest version
    /// is a delete marker (a DELETE without a version id, which a locked object survives) is listed with a warning naming
    /// it, and read through the marker (`hiddenVersion`), so that a restore does not find a backup or a segment missing.
    private func listObjectsBehindDeleteMarkers(prefix: String, lock: S3ObjectLock) throws -> [StoredObject] {
        let repositoryPrefix = configuration.prefix.isEmpty ? "" : configuration.prefix + "/"
        let versions = try S3VersionedDeletion(storage: self, lock: lock).versions(in: configuration.objectKey(prefix), deep: true)
        return versions.sorted { $0.key < $1.key }.compactMap { key, all -> StoredObject? in
            guard key.hasPrefix(repositoryPrefix), let newest = all.first(where: { !$0.isDeleteMarker }) else { return nil }
            if !all.contains(where: { $0.isLatest && !$0.isDeleteMarker }) {
                client.log.warnReadThroughDeleteMarker(client.describe(key), "\(client.describe(key)) is hidden by a delete marker (it was "
                    + "deleted without a version id, which a locked object survives): listed and read through it; 'verify' reports every such object")
            }
            return StoredObject(key: configuration.repositoryKey(key), size: newest.size, storageClass: newest.storageClass ?? "STANDARD",
                                lastModified: newest.written)
        }
    }

    /// LastModified as S3 lists it, "2026-11-27T01:02:03.000Z", to the second.
    static func listingTime(_ text: String) -> UTCTime? {
        text.count >= 19 ? UTCTime(iso8601: text.prefix(19) + "Z") : nil
    }

    /// With Object Lock, by version id (`remove(keys:)`): a DELETE without one would only add a delete marker; an object
    /// still locked is then an error naming it, never a removal that did not happen.
    public func remove(_ key: String) throws {
        if objectLock != nil {
            if let held = try remove(keys: [key]).first { throw S3Error.locked(object: describe(held.key), until: held.until) }
            return
        }
        _ = try client.send(try S3Client.Operation(method: "DELETE", key: configuration.objectKey(key), accepting: [404]))
    }

    /// Removes many objects with DeleteObjects, 1000 per request (S3's limit). Missing keys are not errors; a key S3
    /// could not delete fails the call, naming it. With Object Lock, every version of each key is removed by its id
    /// (`S3VersionedDeletion`), and a key any of whose versions is still locked is left whole and returned.
    public func remove(keys: [String]) throws -> [LockedObject] {
        if let lock = objectLock {
            return try S3VersionedDeletion(storage: self, lock: lock).remove(keys: keys)
        }
        try deleteObjects(keys.map { (configuration.objectKey($0), nil) })
        return []
    }

    /// DeleteObjects of `objects` (object keys, with a version id or none), 1000 per request; returns the object keys
    /// refused with AccessDenied when `lockedIsRefusal` is false (a lock held longer than its writer said).
    @discardableResult
    func deleteObjects(_ objects: [(key: String, version: String?)], lockedIsRefusal: Bool = true) throws -> Set<String> {
        var locked = Set<String>()
        var start = 0
        while start < objects.count {
            let batch = objects[start..<min(start + 1000, objects.count)]
            start += batch.count
            let entries = batch.map { object in
                "<Object><Key>\(S3XML.escape(object.key))</Key>" + (object.version.map { "<VersionId>\(S3XML.escape($0))</VersionId>" } ?? "") + "</Object>"
            }.joined()
            let body = Array("<Delete><Quiet>true</Quiet>\(entries)</Delete>".utf8)
            // DeleteObjects requires a body checksum.
            let operation = try S3Client.Operation(method: "POST", key: "", query: [("delete", "")], headers: [("Content-Type", "application/xml")],
                                                   body: body, checksummed: true)
            let response = try client.send(operation)
            let xml = Substring(String(decoding: response.body, as: UTF8.self))
            for failed in S3XML.elements("Error", in: xml) {
                let key = S3XML.value("Key", in: failed) ?? "?"
                let code = S3XML.value("Code", in: failed) ?? "Error"
                if !lockedIsRefusal, code == "AccessDenied" {
                    locked.insert(key)
                    continue
                }
                throw S3Error.refused(request: "DELETE \(client.describe(key))", status: response.status, code: code,
                                      message: S3XML.value("Message", in: failed) ?? "")
            }
        }
        return locked
    }

    /// Stores `body` under `key` in one PUT, conditionally (never replacing).
    func putObject(key: String, body: [UInt8]) throws -> CommitOutcome {
        let objectKey = configuration.objectKey(key)
        var headers: [(name: String, value: String)] = [("Content-Type", "application/octet-stream")] + configuration.newObjectHeaders(key: key)
        if conditionalWritesUnsupported, try size(of: key) != nil {
            return .alreadyExists
        }
        if !conditionalWritesUnsupported { headers.append(("If-None-Match", "*")) }
        let operation = try S3Client.Operation(method: "PUT", key: objectKey, headers: headers, body: body, accepting: [412, 501], checksummed: true)
        let response = try client.send(operation)
        switch response.status {
        case 412:
            return .alreadyExists
        case 501 where !conditionalWritesUnsupported:
            conditionalWritesUnsupported = true
            client.log.warning("\(configuration.endpoint.host) does not support conditional writes (If-None-Match): "
                + "checking for existing objects with HEAD before each PUT instead, which a concurrent writer can race")
            return try putObject(key: key, body: body)
        case 501:
            throw client.refusal(operation, response)
        default:
            return .stored
        }
    }

    /// Settles a 403 on reading `objectKey`. Any code but AccessDenied (SignatureDoesNotMatch,
    /// InvalidAccessKeyId, ExpiredToken, InvalidObjectState...) is the answer itself. AccessDenied
    /// is also S3's answer for a missing key when the caller may not list, so only then the exact
    /// key is listed: listed means it exists and reading is forbidden; not listed means missing
    /// (`StorageError.notFound`); a listing refused with AccessDenied too leaves it undecidable,
    /// which is an error, never "missing".
    static func settleForbidden(client: S3Client, objectKey: String, response: HTTPResponse, operation: S3Client.Operation) throws -> Error {
        let refusal = client.refusal(operation, response)
        guard refusal.code == "AccessDenied" else { return refusal }
        let listing = try S3Client.Operation(method: "GET", key: "", query: [("list-type", "2"), ("prefix", objectKey), ("max-keys", "1")], accepting: [403])
        let answer = try client.send(listing)
        if answer.status == 403 {
            let listingRefusal = client.refusal(listing, answer)
            return listingRefusal.code == "AccessDenied" ? S3Error.missingOrForbidden(object: client.describe(objectKey)) : listingRefusal
        }
        let xml = Substring(String(decoding: answer.body, as: UTF8.self))
        let listed = S3XML.elements("Contents", in: xml).contains { S3XML.value("Key", in: $0) == objectKey }
        if listed { return S3Error.forbidden(object: client.describe(objectKey)) }
        return StorageError.notFound(object: client.describe(objectKey))
    }
}
