import PITRBackup
import PITRDump
import PITRRepository
import PITRStorage
import PITRSupport

/// What `delete` removes of the dumps (docs/operations.md, "Logical dumps"), decided before anything is removed: the
/// runs `TAILTOWN_RETAIN_DUMPS` no longer keeps, and what killed or failed runs left: at once when the lease names a
/// process of this machine that is gone, else once untouched for a day (`RetentionPlanner.leftoverAge`).
public struct DumpDeletionPlan {
    public let retention: DumpRetention
    /// Each run to delete with its objects, descriptors first.
    public let runs: [(run: DumpRun, objects: [String])]
    /// Objects no listed dump holds, each run's lease last.
    public let leftovers: [StoredObject]
    /// Uploads killed runs of this machine left unfinished.
    public let abandonedUploads: [AbandonedUpload]
    /// With S3 Object Lock, the locks of the kept runs' objects that may need to last longer; nil without a lock.
    public let locks: LockExtensions?
    /// With S3 storage classes that move, where the kept runs' objects belong and which `delete` tags.
    public let placement: StoragePlacement?

    /// `excluding`: uploads the backup plan removes already (those older than a day).
    public static func make(repository: Repository, policy: RetentionPolicy, now: UTCTime, excluding: Set<String>) throws -> DumpDeletionPlan {
        let catalog = DumpCatalog(repository: repository)
        let retention = DumpRetention(runs: try catalog.list(), policy: policy, now: now)
        let runs = retention.deleted.map { run in
            (run, run.dumps.map(\.key) + run.dumps.flatMap { dump in dump.objects.map { DumpDescriptor.objectKey(run: run.name, object: $0.name) } })
        }
        let cutoff = UTCTime(secondsSinceEpoch: now.secondsSinceEpoch - RetentionPlanner.leftoverAge)
        var leftovers: [StoredObject] = []
        var uploads: [AbandonedUpload] = []
        for leftover in try catalog.leftovers() {
            let newest = leftover.objects.compactMap(\.lastModified).max()
            let old = leftover.objects.allSatisfy { $0.lastModified != nil } && newest.map { $0 < cutoff } == true
            guard leftover.writerGone == true || (leftover.writerGone == nil && old) else { continue }
            leftovers += leftover.objects.sorted { ($0.key.hasSuffix("/" + BackupLease.fileName) ? 1 : 0, $0.key) < ($1.key.hasSuffix("/" + BackupLease.fileName) ? 1 : 0, $1.key) }
            if leftover.writerGone == true {
                uploads += try repository.storage.abandonedUploads(under: DumpDescriptor.folder + "/" + leftover.run + "/",
                                                                   startedBefore: UTCTime(secondsSinceEpoch: now.secondsSinceEpoch + 1))
                    .filter { !excluding.contains($0.key) }
            }
        }
        let moving = repository.storage.storageClasses.flatMap { $0.transitions.isEmpty ? nil : $0 }
        let objects = repository.storage.objectLock != nil || moving != nil ? try repository.storage.listObjects(prefix: DumpDescriptor.folder + "/") : []
        let locks = repository.storage.objectLock.map { LockExtensions(dumps: retention, objects: objects, lock: $0, now: now) }
        let placement = moving.map { StoragePlacement(dumps: retention, objects: objects, classes: $0, now: now) }
        return DumpDeletionPlan(retention: retention, runs: runs, leftovers: leftovers, abandonedUploads: uploads, locks: locks, placement: placement)
    }

    /// Every listed object the plan removes: the runs' and the leftovers'.
    public var keys: Set<String> { Set(runs.flatMap(\.objects) + leftovers.map(\.key)) }

    public var isEmpty: Bool { runs.isEmpty && leftovers.isEmpty && abandonedUploads.isEmpty && (locks?.extensions.isEmpty ?? true) }

    /// Extends the locks of the kept runs (with Object Lock), then removes the runs (descriptors first: without them
    /// nothing is listed), then the leftovers (leases last), then the unfinished uploads. Returns what a lock kept, and
    /// how many locks it extended.
    public func execute(on storage: Storage, log: Log) throws -> (locked: [LockedObject], extendedLocks: Int, deleted: Int) {
        let extended = try locks?.execute(on: storage) ?? 0
        var locked: [LockedObject] = []
        let keys = runs.flatMap { $0.objects } + leftovers.map(\.key)
        for (run, objects) in runs {
            locked += try storage.remove(keys: objects)
            log.info("deleted dump \(run.name)")
        }
        locked += try storage.remove(keys: leftovers.map(\.key))
        try storage.discard(abandonedUploads)
        return (locked, extended, keys.count - locked.count)
    }

    /// Tags the kept runs' objects that move to a colder storage class; how many. Apart from `execute`, so that `delete`
    /// runs it after every removal: a role refused tags must not keep anything from being deleted.
    public func tag(on storage: Storage) throws -> Int { try placement?.tag(on: storage) ?? 0 }

    /// The plan for people: each run kept (with its classes) or deleted (with its size), then the leftovers.
    public var text: String {
        var lines = ["dump retention \(retention.policy.description)"]
        for (run, classes) in retention.decisions {
            lines.append(classes.isEmpty
                ? "delete  dump \(run.name)  \(run.dumps.count) dumps, \(String(byteCount: run.storedBytes))"
                : "keep    dump \(run.name)  \(classes.map(\.rawValue).joined(separator: ","))")
        }
        if !leftovers.isEmpty || !abandonedUploads.isEmpty {
            let bytes = leftovers.reduce(0) { $0 + $1.size } + abandonedUploads.reduce(0) { $0 + ($1.size ?? 0) }
            lines.append("delete  \(leftovers.count + abandonedUploads.count) objects of dump-push runs killed or failed, \(String(byteCount: bytes))")
        }
        if let placement, !placement.text.isEmpty { lines.append(String(placement.text.dropLast())) }
        if let locks, !locks.extensions.isEmpty {
            lines.append("lock    \(locks.extensions.count) objects of kept dumps whose lock from their write ends before their run's expiry plus the margin: "
                + "checked, and extended where it ends too soon")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
