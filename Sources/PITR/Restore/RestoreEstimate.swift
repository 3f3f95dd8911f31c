/// A rough duration of a restore from its sizes and two assumed rates, stated in the plan so the
/// reader can scale it: nothing is measured before the restore runs.
public struct RestoreEstimate: Equatable, Sendable {
    /// Stored bytes per second for downloading, decrypting, decompressing and writing the backup and WAL.
    public var downloadBytesPerSecond: Int
    /// WAL bytes per second PostgreSQL replays (a full 16 MiB segment counts as 16 MiB).
    public var replayBytesPerSecond: Int

    /// 100 MB/s download (a local disk or a fast network link) and 50 MB/s replay (a typical
    /// single-process redo rate on a small server); both are assumptions, not measurements.
    public static let assumed = RestoreEstimate(downloadBytesPerSecond: 100_000_000, replayBytesPerSecond: 50_000_000)

    public init(downloadBytesPerSecond: Int, replayBytesPerSecond: Int) {
        self.downloadBytesPerSecond = downloadBytesPerSecond
        self.replayBytesPerSecond = replayBytesPerSecond
    }

    /// Whole seconds for `plan` (at least 1).
    public func seconds(for plan: RestorePlan) -> Int {
        let download = (plan.backupStoredBytes + plan.walStoredBytes) / max(downloadBytesPerSecond, 1)
        let replay = plan.segments.count * Int(plan.backup.segmentSize) / max(replayBytesPerSecond, 1)
        return max(1, download + replay)
    }

    /// "about 3 min 20 s (download at 100 MB/s, replay at 50 MB/s, assumed)".
    public func text(for plan: RestorePlan) -> String {
        let total = seconds(for: plan)
        let duration = total >= 3600 ? "\(total / 3600) h \(total % 3600 / 60) min"
            : total >= 60 ? "\(total / 60) min \(total % 60) s" : "\(total) s"
        return "about \(duration) (download at \(downloadBytesPerSecond / 1_000_000) MB/s, WAL replay at \(replayBytesPerSecond / 1_000_000) MB/s: assumed rates, not measured)"
    }
}
