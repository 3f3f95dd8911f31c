import PITRSupport
import PITRWAL

/// Hands the background pusher's workers the `.ready` files to store, one at a time, and keeps
/// what the pusher learns about PostgreSQL's calls from the folders it watches.
///
/// A file is handed out when it is ready, has no record, nobody stores it (no live marker), it is
/// not the file PostgreSQL's archiver is on or takes next (`postgreSQLsNext`: its own call stores
/// that one, so no file is compressed twice), and fewer than `limit` records and pushes of this
/// pusher are outstanding. Nothing after a `.history` file is handed out until it is stored, so a
/// timeline's history reaches the archive before its segments, as PostgreSQL's own order has it.
/// The claim is the worker's marker, created before a last check for another process's marker:
/// PostgreSQL's call for the same file does the same in the other order and waits, so at most
/// one of the two stores it.
final class PushQueue {
    private let folder: OurWALFolder
    private let pushed: PushedFolder
    private let limit: Int
    private let pollInterval: useconds_t
    private let lock = ConditionLock()

    /// Files this pusher stores right now.
    private var claimed: Set<String> = []
    /// Files this pusher recorded, until PostgreSQL's call takes the record.
    private var recorded: Set<String> = []
    private var stopReason: String?
    private var lastCall = MonotonicClock.now()

    init(folder: OurWALFolder, limit: Int, pollInterval: Double) {
        self.folder = folder
        pushed = PushedFolder(path: folder.pushed)
        self.limit = limit
        self.pollInterval = useconds_t(pollInterval * 1_000_000)
    }

    /// The next file to store, its marker created; waits while there is none; nil once stopped.
    func next() -> InFlightPush? {
        while true {
            let (push, stopped) = lock.locked { () -> (InFlightPush?, Bool) in
                stopReason == nil ? (claimNext(), false) : (nil, true)
            }
            if let push { return push }
            if stopped { return nil }
            usleep(pollInterval)
        }
    }

    /// A worker is done with `push`: its record was written (`stored`) or it failed.
    func finished(_ push: InFlightPush, stored: Bool) {
        lock.locked {
            claimed.remove(push.name.fileName)
            if stored { recorded.insert(push.name.fileName) }
        }
    }

    /// Hands out nothing more; the first reason given is kept.
    func stop(_ reason: String) {
        lock.locked {
            if stopReason == nil { stopReason = reason }
        }
    }

    var stoppedBecause: String? { lock.locked { stopReason } }

    /// Seconds since the last sign that PostgreSQL calls wal-push: a record taken, a marker of its
    /// call. Zero while this pusher stores a file.
    var secondsSincePostgreSQLCalled: Double {
        lock.locked { claimed.isEmpty ? MonotonicClock.now() - lastCall : 0 }
    }

    private func claimNext() -> InFlightPush? {
        // archive_status before pushed/: a record PostgreSQL's call takes is gone before its file
        // leaves archive_status, so a record still here with its file gone was not taken.
        guard let ready = try? ReadySegments.list(archiveStatus: folder.archiveStatus) else { return nil }
        let contents = pushed.scan()
        notice(ready: Set(ready.map(\.fileName)), contents: contents)
        guard stopReason == nil else { return nil }

        let outstanding = claimed.count + ready.filter { contents.records.contains($0.fileName) }.count
        guard outstanding < limit else { return nil }
        let postgreSQLs = PushQueue.postgreSQLsNext(ready)
        for name in ready {
            let file = name.fileName
            if contents.records.contains(file) { continue }
            if name == postgreSQLs || claimed.contains(file) || contents.inFlight[file] != nil {
                if case .history = name { return nil }
                continue
            }
            guard let push = try? pushed.beginPush(of: name) else { return nil }
            if pushed.isPushedByAnother(name) {
                push.end()
                return nil
            }
            claimed.insert(file)
            return push
        }
        return nil
    }

    /// Takes note of the records PostgreSQL's calls took and of their markers; stops when a file
    /// this pusher recorded was archived without its record being taken: the archive_command in
    /// force is not this wal-push (changed, or another configuration), and pushing on is waste.
    private func notice(ready: Set<String>, contents: PushedFolder.Contents) {
        let now = MonotonicClock.now()
        for file in recorded where !contents.records.contains(file) {
            recorded.remove(file)
            lastCall = now
        }
        if let file = recorded.first(where: { !ready.contains($0) }), stopReason == nil {
            stopReason = "PostgreSQL archived \(file) without taking its record: archive_command is not this wal-push"
        }
        if contents.inFlight.values.contains(where: { $0.contains { $0 != getpid() } }) {
            lastCall = now
        }
    }

    /// The file PostgreSQL's archiver is on or takes next: a timeline history file if one is
    /// ready (PostgreSQL archives those first), else the first in archiving order.
    static func postgreSQLsNext(_ ready: [WALFileName]) -> WALFileName? {
        ready.first { if case .history = $0 { true } else { false } } ?? ready.first
    }

}
