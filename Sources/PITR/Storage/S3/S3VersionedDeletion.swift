import PITRSupport

/// Deletion in a repository with Object Lock (docs/s3.md, "Object Lock"). Its bucket is versioned, and a DELETE without
/// a version id removes nothing: it adds a delete marker, which hides the object while it stays stored and billed. So
/// the versions and delete markers of the keys are listed, folder by folder (ListObjectVersions), and removed by version
/// id. A key any of whose versions is still locked, by the lock its writer set (written + `secondsAtWrite`) or by a
/// longer one that S3 refuses to end (AccessDenied), is left whole for a later run, and returned.
struct S3VersionedDeletion {
    let storage: S3Storage
    let lock: S3ObjectLock

    /// One version of a key, or one of its delete markers.
    struct Version {
        let id: String
        let written: UTCTime?
        let isDeleteMarker: Bool
        let isLatest: Bool
        /// Stored bytes and storage class (a delete marker has neither).
        let size: Int
        let storageClass: String?
    }

    func remove(keys: [String], now: UTCTime = .now()) throws -> [LockedObject] {
        let configuration = storage.configuration
        var locked: [LockedObject] = []
        var deletable: [(key: String, version: String?)] = []
        let byFolder = Dictionary(grouping: keys.map(configuration.objectKey)) { key in
            key.lastIndex(of: "/").map { String(key[...$0]) } ?? ""
        }
        for (folder, objectKeys) in byFolder.sorted(by: { $0.key < $1.key }) {
            let versions = try self.versions(in: folder)
            for key in objectKeys {
                let all = versions[key] ?? []
                let writersLock = all.filter { !$0.isDeleteMarker }.compactMap(\.written).max()
                    .map { UTCTime(secondsSinceEpoch: $0.secondsSinceEpoch + lock.secondsAtWrite) }
                if let writersLock, writersLock > now {
                    locked.append(LockedObject(key: configuration.repositoryKey(key), until: writersLock))
                } else {
                    deletable += all.map { (key, $0.id) }
                }
            }
        }
        let refused = try storage.deleteObjects(deletable, lockedIsRefusal: false)
        return locked + refused.sorted().map { LockedObject(key: configuration.repositoryKey($0), until: nil) }
    }

    /// The repository's noncurrent versions and its delete markers that are not a key's newest, by version id: those
    /// whose writer's lock has ended (S3 refusing one locked longer leaves it, returned without a date); a key whose
    /// newest version is a delete marker is left whole, as what it hides may be needed (`verify` names it). One deep
    /// listing of the versions.
    func removeNoncurrent(now: UTCTime) throws -> (removed: Int, locked: [LockedObject]) {
        let configuration = storage.configuration
        var locked: [LockedObject] = []
        var deletable: [(key: String, version: String?)] = []
        for (key, all) in try versions(in: configuration.objectKey(""), deep: true).sorted(by: { $0.key < $1.key }) {
            guard all.contains(where: { $0.isLatest && !$0.isDeleteMarker }) else { continue }
            for version in all where !version.isLatest {
                let writersLock = version.isDeleteMarker ? nil
                    : version.written.map { UTCTime(secondsSinceEpoch: $0.secondsSinceEpoch + lock.secondsAtWrite) }
                if let writersLock, writersLock > now {
                    locked.append(LockedObject(key: configuration.repositoryKey(key), until: writersLock))
                } else {
                    deletable.append((key, version.id))
                }
            }
        }
        let refused = try storage.deleteObjects(deletable, lockedIsRefusal: false)
        return (deletable.count - deletable.filter { refused.contains($0.key) }.count,
                locked + refused.sorted().map { LockedObject(key: configuration.repositoryKey($0), until: nil) })
    }

    /// Every version and delete marker of the objects directly in `folder` (an object key prefix ending in "/"), by key:
    /// each key's versions newest first (as S3 lists them), then its delete markers; with `deep`, of every object under it.
    func versions(in folder: String, deep: Bool = false) throws -> [String: [Version]] {
        var found: [String: [Version]] = [:]
        var marker: (key: String, version: String)?
        repeat {
            var query: [(name: String, value: String)] = (deep ? [] : [("delimiter", "/")]) + [("prefix", folder), ("versions", "")]
            if let marker { query += [("key-marker", marker.key), ("version-id-marker", marker.version)] }
            let response = try storage.client.send(try S3Client.Operation(method: "GET", key: "", query: query))
            let xml = Substring(String(decoding: response.body, as: UTF8.self))
            for (tag, isDeleteMarker) in [("Version", false), ("DeleteMarker", true)] {
                for element in S3XML.elements(tag, in: xml) {
                    guard let key = S3XML.value("Key", in: element), let id = S3XML.value("VersionId", in: element) else { continue }
                    let written = S3XML.value("LastModified", in: element).flatMap(S3Storage.listingTime)
                    found[key, default: []].append(Version(id: id, written: written, isDeleteMarker: isDeleteMarker,
                                                           isLatest: S3XML.value("IsLatest", in: element) == "true",
                                                           size: Int(S3XML.value("Size", in: element) ?? "") ?? 0,
                                                           storageClass: S3XML.value("StorageClass", in: element)))
                }
            }
            marker = nil
            if S3XML.value("IsTruncated", in: xml) == "true" {
                guard let key = S3XML.value("NextKeyMarker", in: xml), let version = S3XML.value("NextVersionIdMarker", in: xml) else {
                    throw S3Error.malformedAnswer(request: "GET \(storage.client.describe(folder))?versions", problem: "truncated listing without its next markers")
                }
                marker = (key, version)
            }
        } while marker != nil
        return found
    }
}
