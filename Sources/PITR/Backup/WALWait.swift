import PITRNative
import PITRRepository
import PITRSupport
import PITRWAL

/// The bounded wait after BASE_BACKUP: until every WAL segment from the backup's start to its stop,
/// and its .backup file, are in the repository, a backup is not restorable and must not be listed.
struct WALWait {
    let archive: WALArchive
    let connection: PostgresConnection
    let interruption: InterruptSignal
    let log: Log

    /// The files a restore of `descriptor` needs from the archive, in the order they are archived.
    static func files(for descriptor: BackupDescriptor, segmentSize: WALSegmentSize) -> [WALFileName] {
        let first = WALSegmentName.segment(containing: descriptor.startLSN, timeline: descriptor.timeline, segmentSize: segmentSize)
        let last = WALSegmentName.segment(containing: descriptor.stopLSN, timeline: descriptor.stopTimeline, segmentSize: segmentSize)
        var files: [WALFileName] = []
        var segment = first
        while segment.number(segmentSize) < last.number(segmentSize) {
            files.append(.segment(segment))
            segment = segment.next(segmentSize)
        }
        files.append(.segment(last))
        let offset = UInt32(truncatingIfNeeded: descriptor.startLSN.rawValue - first.startLSN(segmentSize).rawValue)
        files.append(.backup(first, offset: offset))
        return files
    }

    func waitForBackup(_ descriptor: BackupDescriptor, segmentSize: WALSegmentSize, timeoutSeconds: Int) throws {
        let files = Self.files(for: descriptor, segmentSize: segmentSize)
        let deadline = UTCTime.now().secondsSinceEpoch + Int64(timeoutSeconds)
        var index = 0
        var announced = false
        while index < files.count {
            let key = archive.key(for: files[index])
            if try archive.repository.storage.size(of: key) != nil {
                index += 1
                continue
            }
            if UTCTime.now().secondsSinceEpoch >= deadline {
                throw BackupError.walNotArchived(file: files[index].fileName, object: archive.repository.storage.describe(key),
                                                 seconds: timeoutSeconds, archiverFailure: lastArchiverFailure())
            }
            if !announced {
                log.info("waiting for WAL \(files[index].fileName) to \(files.last?.fileName ?? "") to be archived")
                announced = true
            }
            try interruption.sleep(milliseconds: 250)
        }
    }

    /// pg_stat_archiver's last failed file, when it failed more recently than it succeeded.
    private func lastArchiverFailure() -> String? {
        let rows = try? connection.query("SELECT last_failed_wal FROM pg_stat_archiver WHERE last_failed_time > coalesce(last_archived_time, '-infinity')")
        return rows?.values.first?[0]
    }
}
