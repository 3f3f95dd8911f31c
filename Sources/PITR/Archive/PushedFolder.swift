import PITRSupport
import PITRWAL

/// The push-ahead folder, `pg_wal/tailtown-pitr/pushed/`:
/// - `<name>`: a `PushRecord`, the background pusher stored `name` whole;
/// - `.<name>.<pid>.<random>.tmp`: process `pid` is storing `name` right now (`InFlightPush`): the background
///   pusher, whose marker becomes the record by rename, or PostgreSQL's own wal-push call, whose
///   marker tells the pusher to leave the file alone. A marker whose process is gone means nothing.
struct PushedFolder {
    let path: String

    /// What one listing of the folder found, by file name.
    struct Contents {
        var records: Set<String> = []
        /// The live processes storing each name.
        var inFlight: [String: [pid_t]] = [:]
    }

    /// The record of `name`; nil when there is none or it cannot be read
    /// (an unreadable record only costs a second push, which the duplicate check accepts).
    func record(of name: WALFileName) -> PushRecord? {
        PushRecord.read(name, in: path)
    }

    func removeRecord(of name: WALFileName) throws {
        try FileSystem.remove(path + "/" + name.fileName)
    }

    /// Announces that this process stores `name` from now on (the folder is created if missing).
    func beginPush(of name: WALFileName) throws -> InFlightPush {
        try FileSystem.makeDirectories(path)
        return try InFlightPush(name: name, folder: path)
    }

    /// True while a live process other than this one has a marker for `name`.
    func isPushedByAnother(_ name: WALFileName) -> Bool {
        scan().inFlight[name.fileName, default: []].contains { $0 != getpid() }
    }

    /// The records and the live markers; an empty `Contents` when the folder is missing.
    func scan() -> Contents {
        var contents = Contents()
        for entry in (try? FileSystem.list(path)) ?? [] {
            if let marker = TemporaryFile(entry: entry) {
                if marker.isLive { contents.inFlight[marker.name, default: []].append(marker.pid) }
            } else if !entry.hasPrefix(".") {
                contents.records.insert(entry)
            }
        }
        return contents
    }

    /// Removes the records of files that are not ready to archive any more (archived, recycled,
    /// or pushed again by PostgreSQL's own call) and the markers of processes that are gone.
    func removeStale(ready: Set<String>) throws {
        guard FileSystem.isDirectory(path) else { return }
        for entry in try FileSystem.list(path) {
            let isStale = TemporaryFile(entry: entry).map { !$0.isLive } ?? !ready.contains(entry)
            if isStale { try FileSystem.remove(path + "/" + entry) }
        }
    }
}
