import PITRStorage
import PITRSupport

/// With S3 Object Lock (docs/s3.md, "Object Lock"): the locks `delete` makes longer. A new object is locked for the
/// daily horizon plus the margin; every object a kept backup needs (its own objects, and the WAL it needs, by
/// `RepositoryNeeds`) must stay locked until that backup's expiry plus the margin. An object whose lock from its write
/// already reaches that is not asked about; for the others the lock is read (HEAD) and extended (PutObjectRetention)
/// only when it ends too soon. What is kept for ever (permanent, the newest backup and what they need) is extended a
/// month past the horizon at a time, so that it is not extended on every run. The dumps a policy keeps are extended
/// the same way, to their run's expiry (`init(dumps:)`).
public struct LockExtensions: Sendable {
    public struct Extension: Sendable {
        public let key: String
        /// Until when a kept backup needs the object; nil: for as long as anything is kept.
        public let needed: UTCTime?
        /// The lock must last at least this long...
        let wanted: UTCTime
        /// ...and, when it does not, is made to last this long.
        let target: UTCTime
        /// When the object was written (nil: unknown).
        let written: UTCTime?
    }

    static let foreverStep: Int64 = 30 * 86_400
    public let extensions: [Extension]

    /// `metadata`: what the repository keeps about itself (`Repository.metadataObjects`), needed for ever. `everything`
    /// lists every needed object, those whose lock from their write reaches far enough too (what `verify` checks).
    public init(needs: RepositoryNeeds, inventory: RepositoryInventory, metadata: [StoredObject], lock: S3ObjectLock, now: UTCTime,
         everything: Bool = false) {
        var extensions: [Extension] = []
        func add(_ object: StoredObject, _ until: RetentionExpiry) {
            if let found = Self.needed( object, until: until, lock: lock, now: now, everything: everything) { extensions.append(found) }
        }
        for object in metadata { add(object, .never) }
        let folders = inventory.objectsByBackup
        // A superseded mark is removed by `delete`, not kept.
        let superseded = Set(inventory.marks.superseded.map(\.key))
        for kept in needs.kept {
            for object in folders[kept.backup.name] ?? [] where !superseded.contains(object.key) { add(object, kept.until) }
        }
        for archive in inventory.archives {
            for (file, object) in archive.index.files {
                if let until = needs.until(file, of: archive.identity) { add(object, until) }
            }
        }
        self.extensions = extensions.sorted { $0.key < $1.key }
    }

    /// The objects of the dump runs `retention` keeps (`objects`: a listing of `dumps/`), each needed until its run's
    /// expiry; `everything` as above.
    public init(dumps retention: DumpRetention, objects: [StoredObject], lock: S3ObjectLock, now: UTCTime, everything: Bool = false) {
        let byRun = Dictionary(grouping: objects) { object in
            object.key.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        }
        extensions = retention.decisions.flatMap { decision -> [Extension] in
            guard let until = retention.until(decision.run.name) else { return [] }
            return (byRun[decision.run.name] ?? []).compactMap { Self.needed( $0, until: until, lock: lock, now: now, everything: everything) }
        }.sorted { $0.key < $1.key }
    }

    private init(extensions: [Extension]) { self.extensions = extensions }

    /// The extension `object`, needed `until`, may need; nil when its lock from its write reaches far enough (and not
    /// `everything`).
    private static func needed(_ object: StoredObject, until: RetentionExpiry, lock: S3ObjectLock, now: UTCTime, everything: Bool) -> Extension? {
        let needed: UTCTime?
        var target: UTCTime
        switch until {
        case .at(let time): (needed, target) = (time, lock.end(neededUntil: time, now: now))
        case .never: (needed, target) = (nil, lock.end(neededUntil: nil, now: now))
        }
        let wanted = target
        if needed == nil { target = UTCTime(secondsSinceEpoch: target.secondsSinceEpoch + foreverStep) }
        if !everything, let written = object.lastModified, written.secondsSinceEpoch + lock.secondsAtWrite >= wanted.secondsSinceEpoch { return nil }
        return Extension(key: object.key, needed: needed, wanted: wanted, target: target, written: object.lastModified)
    }

    /// What `check` reads (two HEADs per need, not one per object, because it runs every few minutes): of the objects
    /// whose lock from their write ends before `now` plus `within` or before their need, per need (the same until-when),
    /// the one written first and the one written last. `delete` extends every short lock of a need to the same date in
    /// one run, so the first stands for those it extended (or, when it has not run, for all), and the last for those
    /// written since. `verify` reads every object's lock.
    public func sample(lock: S3ObjectLock, now: UTCTime, within: Int64) -> LockExtensions {
        let soon = now.secondsSinceEpoch + within
        let short = extensions.filter { candidate in
            guard let written = candidate.written else { return true }
            return written.secondsSinceEpoch + lock.secondsAtWrite < max(candidate.needed?.secondsSinceEpoch ?? 0, soon)
        }
        let byNeed = Dictionary(grouping: short) { $0.needed?.secondsSinceEpoch ?? -1 }
        let order = { (a: Extension, b: Extension) in (a.written?.secondsSinceEpoch ?? 0, a.key) < (b.written?.secondsSinceEpoch ?? 0, b.key) }
        let picked = byNeed.values.flatMap { group in [group.min(by: order), group.max(by: order)].compactMap { $0 } }
        return LockExtensions(extensions: Dictionary(picked.map { ($0.key, $0) }) { a, _ in a }.values.sorted { $0.key < $1.key })
    }

    /// The objects whose lock ends before a kept backup stops needing them (`delete` extends what is short by up to the
    /// margin; shorter than the need itself means `delete` has not run for longer than the margin, or a lock was lost),
    /// or within `within` seconds from `now` (what `check` warns of before it happens), with the lock's end (nil: none)
    /// and the need's (nil: for as long as anything is kept, so any lock that has ended).
    public func shortfalls(on storage: Storage, now: UTCTime, within: Int64 = 0) throws -> [(key: String, lockedUntil: UTCTime?, needed: UTCTime?)] {
        let soon = now.secondsSinceEpoch + max(within, 1)
        return try extensions.compactMap { candidate in
            let end = try storage.lockEnd(of: candidate.key)
            let required = max(candidate.needed?.secondsSinceEpoch ?? 0, soon)
            return (end?.secondsSinceEpoch ?? 0) < required ? (candidate.key, end, candidate.needed) : nil
        }
    }

    /// Reads each candidate's lock and extends those that end too soon; returns how many were extended.
    func execute(on storage: Storage) throws -> Int {
        var extended = 0
        for candidate in extensions {
            if let end = try storage.lockEnd(of: candidate.key), end >= candidate.wanted { continue }
            try storage.extendLock(of: candidate.key, until: candidate.target)
            extended += 1
        }
        return extended
    }
}
