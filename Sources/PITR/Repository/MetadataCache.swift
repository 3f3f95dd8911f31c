import PITRNative
import PITRSupport

/// The repository's own metadata that wal-push and wal-fetch need (the newest log entry, each archive's `archive.info`),
/// kept in the user's `PrivateCache` beside the temporary AWS credentials, so that a process per segment makes one
/// request: the PUT or the GET of the segment. S3 only; file:// reads the objects themselves, which costs less than
/// this file.
///
/// An entry holds the object exactly as stored (sealed metadata), and the reader decodes it exactly as it decodes the
/// stored object (`SealedMetadata`, `RepositoryLog.entry`): the cache never holds plain text that is trusted. Entries
/// are keyed by the repository's location (endpoint, bucket, prefix) and the object's key, both also written inside
/// and checked on reading, so two repositories or clusters never share one. An entry is used for `lifetime` seconds
/// after it was read from the repository; a missing, refused, foreign or unauthenticated entry is never an error: the
/// object is read from the repository, and the entry replaced. When the metadata may have changed under it, the
/// caller reads the repository again (`Repository.retryingWithFreshMetadata`; docs/s3.md, "One request per segment").
package struct MetadataCache {
    let cache: PrivateCache
    /// Where the repository is: scheme, endpoint, bucket and prefix.
    let location: String
    let log: Log

    /// Seconds an entry stands for the object: past it, the next process reads the object again.
    static let lifetime: Int64 = 300

    /// The cache in `folder` (nil: none) for the repository at `location`; nil with a warning when the folder is refused.
    package static func open(folder: String?, location: String, log: Log) -> MetadataCache? {
        guard let folder else { return nil }
        do {
            return MetadataCache(cache: try PrivateCache.open(folder), location: location, log: log)
        } catch {
            log.warning("metadata cache: \(error); reading the repository's metadata from the repository")
            return nil
        }
    }

    /// The key and the stored bytes of the object last cached under `slot` (an object's key, or `log/` for the log's newest
    /// entry), unless the entry is older than `lifetime`. Not yet authenticated: the caller decodes the bytes.
    func read(_ slot: String) -> (key: String, bytes: [UInt8])? {
        let name = entryName(slot)
        let bytes: [UInt8]
        do {
            guard let read = try cache.read(name) else { return nil }
            bytes = read
        } catch {
            log.warning("metadata cache: \(error)")
            return nil
        }
        guard let text = try? MetadataText(parsing: bytes, object: name), text["location"] == location, text["slot"] == slot,
              let key = text["key"], key.hasPrefix(slot), let stored = text["sealed"].flatMap(Base64.decode),
              let read = text["read"].flatMap({ Int64($0) }) else {
            log.warning("metadata cache: \(cache.path)/\(name) is not an entry of \(location)\(slot): it is replaced")
            return nil
        }
        let age = UTCTime.now().secondsSinceEpoch - read
        guard age >= 0, age < Self.lifetime else { return nil }
        return (key, stored)
    }

    /// Caches `bytes`, the object stored under `key`, under `slot`; a cache that cannot be written is only a warning.
    func write(_ slot: String, key: String, bytes: [UInt8]) {
        let text = MetadataText([("location", location), ("slot", slot), ("key", key),
                                 ("read", String(UTCTime.now().secondsSinceEpoch)), ("sealed", Base64.encode(bytes))])
        do {
            try cache.write(entryName(slot), text.bytes)
        } catch {
            log.warning("metadata cache: cannot write \(cache.path)/\(entryName(slot)): \(error); the next process reads the repository")
        }
    }

    /// Says that the entry under `slot` did not authenticate (`problem`); it is not used, and the repository is read.
    func reject(_ slot: String, _ problem: String) {
        log.warning("metadata cache: \(cache.path)/\(entryName(slot)) is not used: \(problem)")
    }

    /// "metadata-" and 32 hex digits of the SHA-256 of the location and the slot.
    private func entryName(_ slot: String) -> String {
        let digest = (try? SHA256Hasher.digest(Array("\(location)\n\(slot)".utf8))).map(hex) ?? ""
        return "metadata-" + String(digest.prefix(32))
    }
}
