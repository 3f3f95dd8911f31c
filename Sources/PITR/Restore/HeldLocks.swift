import PITRWAL

/// The ACCESS EXCLUSIVE locks recovery still holds where it stops: logged by an XLOG_STANDBY_LOCK record it replays,
/// for a transaction whose commit or abort it does not replay. Recovery takes each such lock when it replays the
/// record and keeps it until that end, so a paused copy's queries on those tables wait forever
/// (docs/recovery.md, "A paused copy that can be read").
///
/// The records are read from the redo point of the last online checkpoint recovery replays (the backup's own at the
/// latest): every checkpoint logs the locks held at its redo point again (`LogStandbySnapshot`), so older records add
/// nothing. A lock whose transaction ends anywhere in the records read is not held: recovery ignores a logged lock of
/// a transaction already ended, as the snapshot can list one whose commit was just logged. Not seen: a transaction
/// whose server crashed before its abort was logged, whose locks recovery drops at the next running-transactions record.
public struct HeldLocks: Equatable, Sendable {
    /// One per transaction and relation, at its first record read; oldest first. Never empty.
    public let locks: [StandbyLock]
    /// The commits recovery replays after the first lock's record: what stopping just before it gives up.
    public let commitsAfterFirstLock: [WALEvent]
    /// The locked tables' names, `schema.table in database D`, where the plan's backup knows them (`name(from:backup:)`),
    /// and why the others are shown by OID.
    public internal(set) var names: [StandbyLock: String] = [:]
    public internal(set) var namesMissing: String?

    /// The first lock's record: `--lsn <this> --exclusive` stops before any of the locks was logged.
    public var readableLSN: LSN { locks[0].lsn }

    /// The locks held at a stop, reading `count` segments in recovery order through `scan` (the last holds the stop);
    /// `replayed` says whether recovery replays the record at an LSN. Nil when none is held.
    static func find(segments count: Int, scan: (Int) throws -> WALScan, replayed: (LSN) -> Bool) throws -> HeldLocks? {
        var first = 0
        var redo: LSN?
        search: for position in (0..<count).reversed() {
            for event in try scan(position).events.reversed() {
                if case .checkpoint(let point, _, _, true) = event.kind, replayed(event.lsn) {
                    (first, redo) = (position, point)
                    break search
                }
            }
        }
        if let redo {
            while first > 0, try scan(first).firstRecordLSN.map({ $0 > redo }) ?? true { first -= 1 }
        }
        var ended: Set<UInt32> = []
        var commits: [WALEvent] = []
        var logged: [StandbyLock] = []
        for position in first..<count {
            let records = try scan(position)
            for event in records.events where replayed(event.lsn) && (event.kind == .commit || event.kind == .abort) {
                ended.insert(event.xid)
                ended.formUnion(event.subtransactions)
                if event.kind == .commit { commits.append(event) }
            }
            logged += records.locks.filter { replayed($0.lsn) && $0.lsn >= (redo ?? $0.lsn) }
        }
        var seen: Set<[UInt32]> = []
        let held = logged.filter { !ended.contains($0.xid) && seen.insert([$0.xid, $0.database, $0.relation]).inserted }
        guard let oldest = held.first else { return nil }
        return HeldLocks(locks: held, commitsAfterFirstLock: commits.filter { $0.lsn > oldest.lsn })
    }
}
