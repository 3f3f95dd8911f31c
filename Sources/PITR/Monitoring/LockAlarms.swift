import PITRDump
import PITRRepository
import PITRRetention
import PITRSupport

/// `check` with S3 Object Lock (docs/s3.md, "Object Lock"): a lock that a kept backup (or the repository's own metadata,
/// or a dump `dumpPolicy` keeps) needs and that ends before the need, or within the margin from now, is an alarm
/// naming the object and the date. It reads `LockExtensions.sample` (at most two HEADs per kept backup or dump run), not
/// every object, because `check` runs every few minutes; `verify` reads every object's lock.
enum LockAlarms {
    static func problems(inventory: RepositoryInventory, policy: RetentionPolicy, dumpPolicy: RetentionPolicy, now: UTCTime) throws -> [String] {
        let repository = inventory.repository
        guard let lock = repository.storage.objectLock else { return [] }
        let metadata = try repository.metadataObjects(archives: inventory.archives.map(\.identity))
        let dumps = DumpRetention(runs: try DumpCatalog(repository: repository).list(), policy: dumpPolicy, now: now)
        let locks = [
            LockExtensions(needs: inventory.needs(policy: policy, now: now), inventory: inventory, metadata: metadata, lock: lock, now: now, everything: true),
            LockExtensions(dumps: dumps, objects: try repository.storage.listObjects(prefix: DumpDescriptor.folder + "/"), lock: lock, now: now, everything: true),
        ]
        let shortfalls = try locks.flatMap { try $0.sample(lock: lock, now: now, within: lock.margin).shortfalls(on: repository.storage, now: now, within: lock.margin) }
        return shortfalls.map { short in
            let ends = short.lockedUntil.map { "ends at \($0.iso8601)" } ?? "has ended"
            let needed = short.needed.map { "until \($0.iso8601)" } ?? "for as long as anything is kept"
            return "the S3 Object Lock of \(repository.storage.describe(short.key)) \(ends), but the object is needed \(needed) "
                + "and its lock should last the margin (\(String(age: lock.margin))) past now: run delete, which extends the locks of what is kept"
        }
    }
}
