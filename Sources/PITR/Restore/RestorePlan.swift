import PITRBackup
import PITRWAL

/// A proven plan: which backup to restore, which timelines recovery walks, and the WAL it
/// will read, every segment of which the planner found in the repository.
/// Made by `RestorePlanner`, carried out by the restore executor; nothing is written before it exists.
public struct RestorePlan: Equatable, Sendable {
    /// One stretch of the timeline path: recovery reads `timeline`'s WAL from `start` up to `end`
    /// (the switchpoint into the next stretch, or where recovery stops on the last one).
    public struct Stretch: Equatable, Sendable {
        public let timeline: TimelineID
        public let start: LSN
        public let end: LSN
    }

    /// Where recovery will stop, as far as the WAL says (nil for `latest`: the end of the archive).
    public struct StopPoint: Equatable, Sendable {
        /// The record recovery stops at (the commit, abort or restore point; the LSN itself for `.lsn`).
        public let lsn: LSN
        /// Its commit or restore-point time, when the record has one.
        public let time: PostgresTimestamp?
        public let xid: UInt32?
    }

    public let request: RestoreRequest
    public let backup: BackupDescriptor
    /// The numeric recovery_target_timeline to write.
    public let targetTimeline: TimelineID
    /// Oldest first; the first starts at the backup's start LSN.
    public let path: [Stretch]
    /// Every WAL segment recovery will fetch, in order, each from the timeline PostgreSQL reads it from.
    public let segments: [WALSegmentName]
    /// The history files recovery reads with them: those of the path's timelines after the first.
    public let histories: [TimelineID]
    public let stop: StopPoint?
    /// Stored (compressed, encrypted) bytes to download: the backup's objects and the WAL.
    public let backupStoredBytes: Int
    public let walStoredBytes: Int
    /// The newest point the archive can restore to on `targetTimeline` (the last commit time seen);
    /// the planner fills it for `.latest` only, where it is where recovery ends.
    public let newestRestorableTime: PostgresTimestamp?
    /// The locks recovery still holds at the stop, whose tables a paused copy cannot read; nil when none is.
    public internal(set) var heldLocks: HeldLocks?
    /// The objects it reads that lie in an archive storage class, to be thawed first; the planner fills it.
    public internal(set) var archived: [ArchivedObject] = []
    /// When the search for a `.time`, `.xid` or `.name` target reads WAL in an archive storage class not known to be
    /// thawed: every segment the search may read (`segments` then run to the last of them, `stop` is nil). The target is
    /// placed by planning again once they are thawed; empty otherwise.
    public internal(set) var searchSegments: [WALSegmentName] = []

    public init(request: RestoreRequest, backup: BackupDescriptor, targetTimeline: TimelineID, path: [Stretch],
                segments: [WALSegmentName], histories: [TimelineID] = [], stop: StopPoint?, backupStoredBytes: Int, walStoredBytes: Int,
                newestRestorableTime: PostgresTimestamp?, heldLocks: HeldLocks? = nil) {
        self.request = request
        self.backup = backup
        self.targetTimeline = targetTimeline
        self.path = path
        self.segments = segments
        self.histories = histories
        self.stop = stop
        self.backupStoredBytes = backupStoredBytes
        self.walStoredBytes = walStoredBytes
        self.newestRestorableTime = newestRestorableTime
        self.heldLocks = heldLocks
    }
}
