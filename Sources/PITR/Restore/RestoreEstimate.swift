/// A rough duration of a restore from its sizes and two rates, stated in the plan so the reader can scale it:
/// the rates the last passed restore drill measured (`verify --restore-test`), else assumed ones.
public struct RestoreEstimate: Equatable, Sendable {
    /// Stored bytes per second for downloading, decrypting, decompressing and writing the backup and WAL.
    public var downloadBytesPerSecond: Int
    /// WAL bytes per second PostgreSQL replays (a full 16 MiB segment counts as 16 MiB).
    public var replayBytesPerSecond: Int
    /// Where the rates come from, for the plan's line.
    public var source = "assumed rates, not measured"

    /// 100 MB/s download (a local disk or a fast network link) and 50 MB/s replay (a typical
    /// single-process redo rate on a small server); both are assumptions, not measurements.
    public static let assumed = RestoreEstimate(downloadBytesPerSecond: 100_000_000, replayBytesPerSecond: 50_000_000)

    public init(downloadBytesPerSecond: Int, replayBytesPerSecond: Int) {
        self.downloadBytesPerSecond = downloadBytesPerSecond
        self.replayBytesPerSecond = replayBytesPerSecond
    }

    /// The rates a drill measured, nil unless both phases moved bytes for a measurable time.
    public static func measured(downloadBytes: Int, downloadSeconds: Double, replayBytes: Int, replaySeconds: Double,
                                source: String) -> RestoreEstimate? {
        guard downloadBytes > 0, downloadSeconds > 0.01, replayBytes > 0, replaySeconds > 0.01 else { return nil }
        var estimate = RestoreEstimate(downloadBytesPerSecond: Int(Double(downloadBytes) / downloadSeconds),
                                       replayBytesPerSecond: Int(Double(replayBytes) / replaySeconds))
        estimate.source = source
        return estimate
    }

    /// Bytes the download phase of `plan` moves, and WAL bytes its recovery replays (a whole segment each).
    public static func work(of plan: RestorePlan) -> (download: Int, replay: Int) {
        (plan.backupStoredBytes + plan.walStoredBytes, plan.segments.count * Int(plan.backup.segmentSize))
    }

    /// Whole seconds for `plan` (at least 1).
    public func seconds(for plan: RestorePlan) -> Int {
        let work = RestoreEstimate.work(of: plan)
        let download = work.download / max(downloadBytesPerSecond, 1)
        let replay = work.replay / max(replayBytesPerSecond, 1)
        return max(1, download + replay)
    }

    /// "about 3 min 20 s (download at 100 MB/s, WAL replay at 50 MB/s: assumed rates, not measured)".
    public func text(for plan: RestorePlan) -> String {
        let total = seconds(for: plan)
        let duration = total >= 3600 ? "\(total / 3600) h \(total % 3600 / 60) min"
            : total >= 60 ? "\(total / 60) min \(total % 60) s" : "\(total) s"
        return "about \(duration) (download at \(downloadBytesPerSecond / 1_000_000) MB/s, WAL replay at \(replayBytesPerSecond / 1_000_000) MB/s: \(source))"
    }
}
