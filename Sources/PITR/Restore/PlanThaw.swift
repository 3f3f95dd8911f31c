import PITRStorage
import PITRSupport

/// Thawing the archived objects of a restore plan (`restore --thaw`, `--resume`): the requests, and where they stand.
/// A HEAD per object says its state, a RestoreObject per object not readable yet asks for it; nothing else is read.
public struct PlanThaw {
    let storage: Storage
    public let objects: [ArchivedObject]

    public init(storage: Storage, objects: [ArchivedObject]) {
        self.storage = storage
        self.objects = objects
    }

    /// Where the thaw of every object stands.
    public struct Progress: Equatable, Sendable {
        public var readable: [ArchivedObject] = []
        public var ongoing: [ArchivedObject] = []
        public var notRequested: [ArchivedObject] = []
        /// When the first thawed copy expires, when the store said.
        public var firstExpiry: UTCTime?

        public var isDone: Bool { ongoing.isEmpty && notRequested.isEmpty }

        /// "thaw: 2 of 5 objects readable (1.2 MB), 3 in progress, 0 not requested".
        public var text: String {
            let total = readable.count + ongoing.count + notRequested.count
            let bytes = readable.reduce(0) { $0 + $1.storedBytes }
            return "thaw: \(readable.count) of \(total) objects readable (\(String(byteCount: bytes)))"
                + (firstExpiry.map { " until \($0.iso8601)" } ?? "") + ", \(ongoing.count) in progress, \(notRequested.count) not requested"
        }
    }

    /// A HEAD of each object. An object no longer in an archive class is readable.
    public func progress() throws -> Progress {
        var progress = Progress()
        for object in objects {
            switch try storage.archivedState(of: object.key)?.thaw ?? .readable(until: nil) {
            case .readable(let until):
                progress.readable.append(object)
                if let until { progress.firstExpiry = min(progress.firstExpiry ?? until, until) }
            case .ongoing: progress.ongoing.append(object)
            case .notRequested: progress.notRequested.append(object)
            }
        }
        return progress
    }

    /// Asks for a thaw at `tier`, readable for `days` days, of each object that `progress` found not readable; a thaw
    /// already under way counts as progress. Refuses a tier that a class lacks (DEEP_ARCHIVE has no Expedited) before
    /// any request. Returns the line that says what was asked.
    public func request(tier: ThawTier, days: Int, after progress: Progress) throws -> String {
        let pending = progress.notRequested + progress.ongoing
        if let lacking = pending.first(where: { $0.archiveClass.thawTime(tier) == nil }) {
            throw ThawError.tierNotOffered(tier: tier, archiveClass: lacking.archiveClass, object: storage.describe(lacking.key),
                                           count: pending.filter { $0.archiveClass == lacking.archiveClass }.count)
        }
        var started = 0, ongoing = 0, readable = 0
        for object in pending {
            switch try storage.requestThaw(of: object.key, tier: tier, days: days) {
            case .started: started += 1
            case .alreadyOngoing: ongoing += 1
            case .alreadyReadable: readable += 1
            }
        }
        let times = Set(pending.map(\.archiveClass)).sorted { $0.rawValue > $1.rawValue }
            .map { "\($0.rawValue) \($0.thawTime(tier) ?? "")" }.joined(separator: ", ")
        return "thaw requested (\(tier.rawValue), readable for \(days) day\(days == 1 ? "" : "s")): \(started) started, \(ongoing) already in progress, "
            + "\(readable) already readable" + (times.isEmpty ? "" : "; expected: \(times)")
    }
}

/// Why the restore cannot read its archived objects yet.
public enum ThawError: PITRError, Equatable {
    /// A class lacks the tier asked for.
    case tierNotOffered(tier: ThawTier, archiveClass: ArchiveClass, object: String, count: Int)
    /// Objects are archived and no thaw was asked for.
    case notThawed(count: Int, object: String)
    /// The thaw is under way; the restore goes on when it is done.
    case pending(progress: String)

    /// The thaw is under way: not a failure, a restore to run again.
    public var isPending: Bool {
        if case .pending = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .tierNotOffered(tier, archiveClass, object, count):
            "\(archiveClass.rawValue) has no \(tier.rawValue) thaw (\(count) object\(count == 1 ? "" : "s"), such as \(object)): use --thaw standard "
                + "(\(archiveClass.thawTime(.standard) ?? "")) or --thaw bulk (\(archiveClass.thawTime(.bulk) ?? ""))"
        case let .notThawed(count, object):
            "\(count) object\(count == 1 ? "" : "s") the restore reads \(count == 1 ? "is" : "are") in an archive storage class and not thawed, such as \(object): "
                + "add --thaw expedited|standard|bulk --thaw-days N to request the thaw (docs/recovery.md, \"Restoring from archived backups\")"
        case let .pending(progress):
            "\(progress): run the same restore again with --resume once thawed (or with --thaw-wait to wait); nothing was written"
        }
    }
}
