import PITRBackup
import PITRStorage
import PITRSupport
import PITRWAL

/// What `delete` removes, decided before anything is removed (docs/operations.md, "Retention").
public struct RetentionPlan {
    /// WAL files of one cluster's archive that no kept backup needs, oldest first.
    public struct WALDeletion {
        public let identity: ClusterIdentity
        public let files: [(file: WALFileName, object: StoredObject)]
    }

    /// A backup to delete: its descriptor, removed first, and its other objects.
    public struct BackupDeletion {
        public let backup: BackupDescriptor
        public let descriptorKey: String
        public let objects: [StoredObject]
    }

    /// What the kept backups need, and why they are kept.
    public let needs: RepositoryNeeds
    public var classification: RetentionClassification { needs.classification }
    public let backups: [BackupDeletion]
    public let wal: [WALDeletion]
    /// Objects under `backups/<name>/` without a descriptor, untouched for a day: a backup killed mid-stream.
    public let orphans: [StoredObject]
    /// Uploads a killed process left unfinished a day ago or more (temporary files, S3 multipart uploads).
    public let abandonedUploads: [AbandonedUpload]
    /// Records a newer one supersedes (the results of earlier `verify` runs, earlier permanent marks, `archive.info`
    /// sealed again under a name a newer one took over, earlier cluster consents), removed once their locks have ended.
    public let superseded: [StoredObject]
    /// With S3 Object Lock, the locks of what is kept that may need to last longer; nil without a lock.
    public let locks: LockExtensions?
    /// With S3 storage classes that move, where what is kept belongs, and what is tagged to move there; nil elsewhere.
    public let placement: StoragePlacement?

    /// What `execute` did beside removing: the locks it extended, and what it could not remove yet.
    public struct Outcome {
        /// Objects removed (with the dumps' when the command adds them).
        public var deleted = 0
        public var extendedLocks = 0
        /// Objects tagged to move to a colder storage class.
        public var tagged = 0
        /// Noncurrent versions and stray delete markers removed (with Object Lock).
        public var removedVersions = 0
        /// Objects a lock keeps, left for a later run (with Object Lock).
        public var locked: [LockedObject] = []
        /// Backups whose descriptor a lock keeps: nothing of theirs was removed.
        public var lockedBackups: [String] = []
        /// Whether the bucket's lifecycle rules were rewritten to be in step; nil when nothing moves between storage classes.
        public var rulesRewritten: Bool?

        /// "deleted 12 objects, tagged 3 to move to a colder storage class, lifecycle rules already in step": what was done.
        public var summary: String {
            var parts = [deleted == 0 ? "deleted nothing" : "deleted \(deleted) object\(deleted == 1 ? "" : "s")"]
            if extendedLocks > 0 { parts.append("extended the locks of \(extendedLocks) kept objects") }
            if removedVersions > 0 { parts.append("removed \(removedVersions) noncurrent versions whose locks had ended") }
            if let rulesRewritten {
                parts.append("tagged \(tagged) kept object\(tagged == 1 ? "" : "s") to move to a colder storage class")
                parts.append(rulesRewritten ? "lifecycle rules updated" : "lifecycle rules already in step")
            }
            return parts.joined(separator: ", ")
        }
    }

    public var isEmpty: Bool {
        backups.isEmpty && wal.allSatisfy { $0.files.isEmpty } && orphans.isEmpty && abandonedUploads.isEmpty && superseded.isEmpty
    }

    /// Every listed object the plan removes: the backups' (descriptors included), the WAL, orphans and superseded records.
    public var keys: Set<String> {
        Set(backups.flatMap { [$0.descriptorKey] + $0.objects.map(\.key) } + wal.flatMap { $0.files.map(\.object.key) }
            + (orphans + superseded).map(\.key))
    }

    public var bytes: Int {
        backups.reduce(0) { $0 + $1.objects.reduce(0) { $0 + $1.size } }
            + wal.reduce(0) { $0 + $1.files.reduce(0) { $0 + $1.object.size } }
            + (orphans + superseded).reduce(0) { $0 + $1.size } + abandonedUploads.reduce(0) { $0 + ($1.size ?? 0) }
    }

    /// Extends the locks of what is kept (with Object Lock), then removes everything planned, in an order that leaves a
    /// repository `verify` accepts if it stops half-way: each backup's descriptor first (without it, the rest is not a
    /// backup; a backup whose descriptor a lock keeps keeps everything), then its objects, then WAL oldest first, then
    /// orphans, superseded records and unfinished uploads, then (with Object Lock) noncurrent versions, then tags what moves
    /// to a colder storage class (with S3 storage classes that move). What a lock keeps
    /// stays whole, for a later run.
    @discardableResult
    public func execute(on storage: Storage, log: Log) throws -> Outcome {
        var outcome = Outcome()
        outcome.extendedLocks = try locks?.execute(on: storage) ?? 0
        var removed: [BackupDeletion] = []
        for deletion in backups {
            let locked = try storage.remove(keys: [deletion.descriptorKey])
            if locked.isEmpty {
                outcome.deleted += 1
                removed.append(deletion)
                log.info("deleted backup \(deletion.backup.name)")
            } else {
                outcome.lockedBackups.append(deletion.backup.name)
                outcome.locked += locked
            }
        }
        func remove(_ keys: [String]) throws -> Int {
            let locked = try storage.remove(keys: keys)
            outcome.locked += locked
            outcome.deleted += keys.count - locked.count
            return keys.count - locked.count
        }
        for deletion in removed {
            _ = try remove(deletion.objects.map(\.key).filter { $0 != deletion.descriptorKey })
        }
        for deletion in wal where !deletion.files.isEmpty {
            let count = try remove(deletion.files.map(\.object.key))
            log.info("deleted \(count) WAL files of \(deletion.identity)")
        }
        _ = try remove((orphans + superseded).map(\.key))
        try storage.discard(abandonedUploads)
        if locks != nil {
            let (removed, held) = try storage.removeNoncurrentVersions(now: .now())
            outcome.removedVersions = removed
            outcome.locked += held
        }
        // Last: a store refusing tags or lifecycle rules (a role without the permissions) must not keep anything from being deleted.
        if let placement { (outcome.tagged, outcome.rulesRewritten) = try placement.execute(on: storage) }
        return outcome
    }

    /// The plan for people: each backup with why it is kept (its classes, the kept incrementals it is the parent of,
    /// its own parent) or what deleting it frees, what cannot be restored and why, WAL as runs of consecutive
    /// segments with counts and sizes.
    public var text: String {
        var lines = ["retention \(classification.policy.description), periods counted back from \(classification.now.iso8601)"]
        let width = classification.decisions.map(\.backup.name.count).max() ?? 0
        for decision in classification.decisions {
            let name = decision.backup.name.padding(width)
            var line: String
            if decision.isKept {
                line = "keep    \(name)  \(Self.reasons(decision))"
            } else {
                let objects = backups.first { $0.backup.name == decision.backup.name }?.objects ?? []
                line = "delete  \(name)  \(objects.count) objects, \(size(objects.reduce(0) { $0 + $1.size }))"
                if let parent = decision.backup.parent { line += ", incremental on \(parent)" }
            }
            if let problem = decision.chainProblem { line += "; cannot be restored: \(problem)" }
            lines.append(line)
        }
        let onlyParents = classification.decisions.filter(\.isKeptOnlyAsParent).count
        if onlyParents > 0 {
            lines.append("note    the policy alone would delete \(onlyParents) of these backups, which kept incrementals need: "
                         + "they stay as parents so that no chain breaks")
        }
        for deletion in wal {
            for run in Self.runs(deletion.files) {
                lines.append("delete  WAL \(deletion.identity.archiveID) \(run.first)..\(run.last)  \(run.count) files, \(size(run.bytes))")
            }
        }
        if !orphans.isEmpty {
            lines.append("delete  \(orphans.count) objects of interrupted backups (no descriptor, untouched for a day), \(size(orphans.reduce(0) { $0 + $1.size }))")
        }
        if !superseded.isEmpty {
            lines.append("delete  \(superseded.count) records a newer one supersedes (earlier verify results, window proofs, permanent marks, archive.info sealed again and cluster consents), \(size(superseded.reduce(0) { $0 + $1.size }))")
        }
        if !abandonedUploads.isEmpty {
            lines.append("delete  \(abandonedUploads.count) unfinished uploads of killed processes, \(size(abandonedUploads.reduce(0) { $0 + ($1.size ?? 0) }))")
        }
        if locks != nil {
            lines.append("delete  the noncurrent versions (earlier versions of replaced objects, delete markers that hide nothing) whose locks have ended")
        }
        if let locks, !locks.extensions.isEmpty {
            lines.append("lock    \(locks.extensions.count) kept objects whose lock from their write ends before their backup's expiry plus the margin: "
                         + "checked, and extended where it ends too soon")
        }
        if let placement, !placement.text.isEmpty { lines.append(String(placement.text.dropLast())) }
        let walCount = wal.reduce(0) { $0 + $1.files.count }
        lines.append("total: \(backups.count) backups, \(walCount) WAL files, \(orphans.count + superseded.count + abandonedUploads.count) other objects, \(size(bytes))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a lock kept, said after `execute`: "" when nothing.
    public static func lockedText(_ outcome: Outcome) -> String {
        guard !outcome.locked.isEmpty else { return "" }
        var lines = outcome.lockedBackups.map { "locked  backup \($0): its descriptor is still locked, so nothing of it was deleted yet" }
        let ends = outcome.locked.compactMap(\.until)
        let unknown = outcome.locked.count - ends.count
        var line = "locked  \(outcome.locked.count) objects are still locked (S3 Object Lock) and were left whole"
        if let last = ends.max() { line += ", the last lock ending \(last.iso8601)" }
        if unknown > 0 { line += "; \(unknown) locked longer than when written (S3 refused)" }
        lines.append(line + ": a later delete removes them once their locks end")
        return lines.joined(separator: "\n") + "\n"
    }

    /// "daily,weekly, parent of B and C, incremental on A": the classes the policy keeps it by, the kept backups
    /// whose parent it is, and its own parent.
    static func reasons(_ decision: RetentionClassification.Decision) -> String {
        var parts: [String] = []
        let classes = decision.classes.filter { $0 != .parent }
        if !classes.isEmpty { parts.append(classes.map(\.rawValue).joined(separator: ",")) }
        if !decision.dependents.isEmpty {
            let names = decision.dependents
            parts.append("parent of " + (names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " and " + names[names.count - 1]))
        }
        if let parent = decision.backup.parent { parts.append("incremental on \(parent)") }
        return parts.joined(separator: ", ")
    }

    struct Run: Equatable {
        var first: String
        var last: String
        var count: Int
        var bytes: Int
    }

    /// Consecutive files of a timeline (a segment and its .backup or .partial file count as one step).
    static func runs(_ files: [(file: WALFileName, object: StoredObject)]) -> [Run] {
        let ordered = files.sorted { a, b in
            (a.file.timeline, a.file.segment?.high ?? 0, a.file.segment?.low ?? 0, a.file.fileName)
                < (b.file.timeline, b.file.segment?.high ?? 0, b.file.segment?.low ?? 0, b.file.fileName)
        }
        var runs: [Run] = []
        var previous: WALSegmentName?
        for entry in ordered {
            let segment = entry.file.segment
            let continues: Bool
            if let previous, let segment, previous.timeline == segment.timeline {
                // Sorted, so only the next segment (or the same one's .backup file) continues a run;
                // past an xlogid boundary the next one is low 0 of the next high part.
                continues = (segment.high == previous.high && segment.low - previous.low <= 1)
                    || (segment.high == previous.high &+ 1 && segment.low == 0)
            } else {
                continues = false
            }
            if continues, var run = runs.popLast() {
                run.last = entry.file.fileName
                run.count += 1
                run.bytes += entry.object.size
                runs.append(run)
            } else {
                runs.append(Run(first: entry.file.fileName, last: entry.file.fileName, count: 1, bytes: entry.object.size))
            }
            previous = segment
        }
        return runs
    }
}

private func size(_ bytes: Int) -> String { String(byteCount: bytes) }

extension String {
    /// Left-aligned in `width` columns.
    package func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
