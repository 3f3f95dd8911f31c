import PITRSupport
import PITRWAL

/// The WAL files stored in the first repository and not yet copied to the second (`pg_wal/tailtown-pitr/copy/queue/`):
/// one empty file per name, so the queue holds names, never copies of WAL, and an outage of the second repository
/// costs a folder entry per file. `wal-push` adds a name durably before it answers PostgreSQL; the copier
/// (`BackgroundCopier`) removes it once the second repository holds the object.
package struct CopyQueue {
    let folder: String

    init(_ walFolder: OurWALFolder) {
        folder = walFolder.copyQueue
    }

    /// Adds `name`, durably: the folder is synced, so a crash after wal-push answers cannot lose it.
    func add(_ name: WALFileName) throws {
        do {
            _ = try SystemFile.createExclusive(folder + "/" + name.fileName)
        } catch let error as IOError where error.isNotFound {
            try FileSystem.makeDirectories(folder)
            _ = try SystemFile.createExclusive(folder + "/" + name.fileName)
        } catch let error as IOError where error.isAlreadyExists {
            return
        }
        try FileSystem.syncDirectory(folder)
    }

    /// The names waiting, oldest first (the order PostgreSQL archives them in).
    func names() throws -> [WALFileName] {
        guard FileSystem.isDirectory(folder) else { return [] }
        return ReadySegments.sortedForArchiving(try FileSystem.list(folder).compactMap { try? WALFileName(parsing: $0) })
    }

    func remove(_ name: WALFileName) throws {
        try FileSystem.remove(folder + "/" + name.fileName)
    }
}
