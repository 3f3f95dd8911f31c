import PITRStorage
import PITRWAL

extension Repository {
    /// Records in `state` (the first log entry of a repository an earlier release made) what may stay of format 1:
    /// each archive's WAL up to what it holds now, and the backups there are now.
    func recordFormat1(in state: inout RepositoryState) throws {
        var archives: [String: [WALFileName]] = [:]
        for key in try storage.list(prefix: "wal/") {
            let parts = key.split(separator: "/")
            guard parts.count >= 3, let file = try? WALFileName(parsing: parts[parts.count - 1]) else { continue }
            archives[String(parts[1]), default: []].append(file)
        }
        for (archiveID, files) in archives {
            guard let info = try readMetadata("wal/\(archiveID)/\(ArchiveIndex.infoName)"),
                  let bytes = UInt64(info["segment-size"] ?? ""), let size = try? WALSegmentSize(bytes: bytes) else { continue }
            state.archives[archiveID] = FormatSwitch(archived: files, segmentSize: size)
        }
        for key in try storage.list(prefix: "backups/") {
            let parts = key.split(separator: "/")
            if parts.count == 3, parts[2] == "backup.info" { state.legacyBackups.insert(String(parts[1])) }
        }
    }

    /// Records where archive `archiveID` switched to format 2, unless the log has it already; returns the state.
    package func recordArchive(_ archiveID: String, _ formatSwitch: FormatSwitch) throws -> RepositoryState {
        let log = RepositoryLog(repository: self)
        _ = try state()
        guard let newest = try log.newest() else { throw ArchiveError.noRepository(repository: name) }
        let entry = try log.amend(newest, { state in
            if state.archives[archiveID] == nil { state.archives[archiveID] = formatSwitch }
        }, sealer: { _ in key })
        cachedState = entry.state
        return entry.state
    }
}
