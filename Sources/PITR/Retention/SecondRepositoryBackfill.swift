import PITRRepository
import PITRStorage
import PITRSupport

/// What `delete` copies to the second repository (TAILTOWN_REPO2) before it applies the policies: every object the
/// first holds and the second does not, oldest first, byte for byte (`SecondRepository.copy`), except what the same run's
/// policies delete from the first (a backup copied only to be deleted seconds later costs its PUTs and nothing else).
/// One the second holds at another size is left alone (its copy may be the good one); the copy's lag keeps counting it.
/// The copier (`wal-copy`) copies only the WAL that wal-push queues; this catches up what it never sees: backups and
/// dumps made before TAILTOWN_REPO2 was set or whose write to the second failed midway (`MirroredStorage`), and WAL
/// archived before. `delete` runs on a timer and lists both repositories anyway.
package struct SecondRepositoryBackfill {
    let pair: SecondRepository
    /// The objects to copy, oldest first (by when the first stored them, then by key).
    package let objects: [StoredObject]
    /// The objects the second lacks that are not copied because the run's policies delete them from the first.
    package let skipped: [StoredObject]

    /// Lists both repositories; `deleting`: the keys the run's policies remove from the first. The probes of conditional
    /// writes an S3 first leaves (`probes/`, its own) are not copied.
    package init(pair: SecondRepository, deleting: Set<String>) throws {
        self.pair = pair
        let held = Set(try pair.second.storage.list(prefix: ""))
        let lacking = try pair.first.storage.listObjects(prefix: "")
            .filter { !held.contains($0.key) && !$0.key.hasPrefix("probes/") }
            .sorted { ($0.lastModified?.secondsSinceEpoch ?? 0, $0.key) < ($1.lastModified?.secondsSinceEpoch ?? 0, $1.key) }
        objects = lacking.filter { !deleting.contains($0.key) }
        skipped = lacking.filter { deleting.contains($0.key) }
    }

    /// "copy    3 objects (1.2 MiB) the second repository ... lacks" and "skip    ...": "" when it lacks nothing.
    package var text: String {
        func size(_ objects: [StoredObject]) -> String { String(byteCount: objects.reduce(0) { $0 + $1.size }) }
        var lines: [String] = []
        if !objects.isEmpty { lines.append("copy    \(objects.count) objects (\(size(objects))) the second repository \(pair.second.name) lacks") }
        if !skipped.isEmpty {
            lines.append("skip    \(skipped.count) objects (\(size(skipped))) the second repository \(pair.second.name) lacks "
                         + "that the policies delete from the first: not copied")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Copies them; an object the first no longer holds (deleted meanwhile) is skipped. Returns the bytes written.
    @discardableResult
    package func run(log: Log) throws -> Int {
        var bytes = 0
        for object in objects {
            do {
                bytes += try pair.copy(object.key)
            } catch StorageError.notFound {
                log.debug("\(pair.first.storage.describe(object.key)) is gone: nothing to copy")
            }
        }
        return bytes
    }
}
