import PITRBackup
import PITRSupport
import PITRWAL

/// One thing `verify` found wrong, named by object, with what it means.
public enum VerifyProblem: Equatable, Sendable {
    case walGap(WALGap)
    case missingHistory(archive: ClusterIdentity, timeline: TimelineID, object: String)
    case noArchive(backup: String, archive: ClusterIdentity)
    case missingObject(backup: String, object: String)
    case sizeMismatch(backup: String, object: String, listed: Int, recorded: Int)
    case badObject(object: String, reason: String)
    /// `objects` objects are encrypted with a key that no configured key file holds.
    case keyMissing(keyID: String, objects: Int)
    /// A backup whose descriptor cannot be used: restore leaves it out, `delete` refuses to run.
    case unreadableDescriptor(backup: String, reason: String)
    /// An incremental backup whose chain misses a backup (docs/operations.md, "Incremental chains").
    case brokenChain(backup: String, problem: BackupChains.Break)
    /// With Object Lock: a needed object (a kept backup's or WAL's, the repository's metadata, or of a dump run the dumps'
    /// policy keeps: its name says whose) whose lock ends before its need (`lockedUntil` nil: it has none; `needed` nil: for
    /// ever).
    case lockTooShort(object: String, lockedUntil: UTCTime?, needed: UTCTime?)
    /// A record newer than the one that stands in its series that does not authenticate (of `archive.info` sealed again,
    /// a permanent mark, a verify record or window proof): readers pass over it (`RecordSeries.newestSealed`).
    case unauthenticatedRecord(object: String, reason: String)
    /// A delete marker hides the object (deleted without a version id); its newest version is still stored.
    case hiddenByDeleteMarker(object: String)
    /// A dump (`<run> database <name>` or `<run> globals`) that cannot be fetched whole, or that pg_restore cannot read.
    case badDump(dump: String, reason: String)

    /// A short machine name, for `--json`.
    public var kind: String {
        switch self {
        case .walGap: "wal_gap"
        case .missingHistory: "missing_history"
        case .noArchive: "no_archive"
        case .missingObject: "missing_object"
        case .sizeMismatch: "size_mismatch"
        case .badObject: "bad_object"
        case .keyMissing: "key_missing"
        case .unreadableDescriptor: "unreadable_descriptor"
        case .brokenChain: "broken_chain"
        case .lockTooShort: "lock_too_short"
        case .unauthenticatedRecord: "unauthenticated_record"
        case .hiddenByDeleteMarker: "hidden_by_delete_marker"
        case .badDump: "bad_dump"
        }
    }

    /// The object or segment range the problem is about.
    public var subject: String {
        switch self {
        case .walGap(let gap): gap.count == 1 ? gap.first.fileName : "\(gap.first.fileName)..\(gap.last.fileName)"
        case .missingHistory(_, _, let object), .missingObject(_, let object), .sizeMismatch(_, let object, _, _), .badObject(let object, _): object
        case .noArchive(let backup, _): backup
        case .keyMissing(let keyID, _): "key \(keyID)"
        case .unreadableDescriptor(let backup, _), .brokenChain(let backup, _): backup
        case .lockTooShort(let object, _, _), .hiddenByDeleteMarker(let object), .unauthenticatedRecord(let object, _): object
        case .badDump(let dump, _): dump
        }
    }

    public var description: String {
        switch self {
        case .walGap(let gap):
            gap.description
        case .missingHistory(let archive, let timeline, let object):
            "history file of timeline \(timeline) of \(archive.archiveID) is missing (\(object)): recovery cannot follow that timeline; push it again from the server's pg_wal if it is still there"
        case .noArchive(let backup, let archive):
            "backup \(backup) belongs to \(archive), whose WAL archive wal/\(archive.archiveID)/ does not exist: it cannot be restored"
        case .missingObject(let backup, let object):
            "object \(object) of backup \(backup) is missing: the backup cannot be restored"
        case .sizeMismatch(let backup, let object, let listed, let recorded):
            "object \(object) of backup \(backup) holds \(listed) bytes, its descriptor records \(recorded): it was cut short or replaced"
        case .badObject(_, let reason):
            reason
        case .keyMissing(let keyID, let objects):
            "\(objects) object\(objects == 1 ? " is" : "s are") encrypted with key \(keyID), which the configured keys do not include: "
                + "they cannot be restored; add key \(keyID) back to the key file from its off-site copy (docs/operations.md, \"Key rotation\")"
        case .unreadableDescriptor(let backup, let reason):
            "backup \(backup) cannot be used, restore leaves it out and delete refuses to run: \(reason)"
        case .brokenChain(let backup, let problem):
            "incremental backup \(backup) cannot be restored: \(problem); put \(problem.ancestor)'s folder back if a copy exists, "
                + "else the next full backup starts a new chain and delete removes this one once the policy no longer keeps it"
        case let .lockTooShort(object, lockedUntil, needed):
            "\(object) is \(lockedUntil.map { "locked only until \($0.iso8601)" } ?? "not locked") but \(needed.map { "it is needed until \($0.iso8601)" } ?? "it is needed for ever"): "
                + "run 'tailtown-pitr delete --confirm' every day, which extends the locks of what it keeps (backups, WAL, dumps, the repository's metadata)"
        case let .unauthenticatedRecord(object, reason):
            "\(object) does not authenticate (\(reason)): readers pass over it to the newest record of its series that does, and delete "
                + "keeps what it would supersede; anyone who can write to the repository can put such an object there: find out who wrote it, then remove it"
        case .badDump(let dump, let reason):
            "dump \(dump): \(reason)"
        case .hiddenByDeleteMarker(let object):
            "\(object) is hidden by a delete marker (it was deleted without a version id; its locked version is still stored, and "
                + "restore reads it through the marker): find out who deleted it, and remove the marker by its version id to show it again"
        }
    }
}
