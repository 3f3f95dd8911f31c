import PITRStorage
import PITRSupport

/// With S3 Object Lock (docs/s3.md, "Object Lock"): the locks `delete` makes longer. A new object is locked for the
/// daily horizon plus the margin; every object a kept backup needs (its own objects, and the WAL it needs, by
/// `RepositoryNeeds`) must stay locked until that backup's expiry plus the margin. An object whose lock from its write
/// already reaches that is not asked about; for the others the lock is read (HEAD) and extended (PutObjectRetention)
/// only when it ends too soon. What is kept for ever (permanent, the newest backup and what they need) is extended a
/// month past the horizon at a time, so that it is not extended on every run.
public struct LockExtensions: Sendable {
    public struct Extension: Sendable {
        public let key: String
        /// The lock must last at least this long...
        let wanted: UTCTime
        /// ...and, when it does not, is made to last this long.
        let target: UTCTime
    }

    static let foreverStep: Int64 = 30 * 86_400
    public let extensions: [Extension]

    /// `metadata`: what the repository keeps about itself (`Repository.metadataObjects`), needed for ever.
    init(needs: RepositoryNeeds, inventory: RepositoryInventory, metadata: [StoredObject], lock: S3ObjectLock, now: UTCTime) {
        func ends(_ until: RetentionExpiry) -> (wanted: UTCTime, target: UTCTime) {
            switch until {
            case .at(let time):
                let end = lock.end(neededUntil: time, now: now)
                return (end, end)
            case .never:
                let end = lock.end(neededUntil: nil, now: now)
                return (end, UTCTime(secondsSinceEpoch: end.secondsSinceEpoch + Self.foreverStep))
            }
        }
        func coveredAtWrite(_ object: StoredObject, _ wanted: UTCTime) -> Bool {
            guard let written = object.lastModified else { return false }
            return written.secondsSinceEpoch + lock.secondsAtWrite >= wanted.secondsSinceEpoch
        }
        var extensions: [Extension] = []
        let forever = ends(.never)
        for object in metadata where !coveredAtWrite(object, forever.wanted) {
            extensions.append(Extension(key: object.key, wanted: forever.wanted, target: forever.target))
        }
        let folders = inventory.objectsByBackup
        for kept in needs.kept {
            let (wanted, target) = ends(kept.until)
            for object in folders[kept.backup.name] ?? [] where !coveredAtWrite(object, wanted) {
                extensions.append(Extension(key: object.key, wanted: wanted, target: target))
            }
        }
        for archive in inventory.archives {
            for (file, object) in archive.index.files {
                guard let until = needs.until(file, of: archive.identity) else { continue }
                let (wanted, target) = ends(until)
                if !coveredAtWrite(object, wanted) { extensions.append(Extension(key: object.key, wanted: wanted, target: target)) }
            }
        }
        self.extensions = extensions.sorted { $0.key < $1.key }
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
