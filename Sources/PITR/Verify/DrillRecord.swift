import PITRNative
import PITRPipeline
import PITRRepository
import PITRRestore
import PITRStorage
import PITRSupport

/// One restore drill's outcome and time, kept in the repository as `drills/<start>-<random>` (docs/format.md): one
/// sealed object per drill, never rewritten, so that `status` shows the measured RTO over time and `check` alarms
/// when the last drill was too slow or too long ago.
public struct DrillRecord: Equatable, Sendable {
    static let folder = "drills/"
    /// What `recent` warns of, once per object, when a drill record does not authenticate.
    static let rejectedTopic = "drill record"

    public let time: UTCTime
    public let backup: String
    public let passed: Bool
    /// The measured RTO: every phase, from plan to a checked, running copy.
    public let totalSeconds: Double
    /// Each phase's name and seconds, in order.
    public let phases: [RestoreDrill.Phase]
    /// The plan's work: stored bytes downloaded and WAL bytes replayed.
    var downloadBytes = 0
    var replayBytes = 0

    public init(_ report: RestoreDrill.Report, time: UTCTime) {
        self.init(time: time, backup: report.backup, passed: report.passed, totalSeconds: report.totalSeconds, phases: report.phases)
        downloadBytes = report.downloadBytes
        replayBytes = report.replayBytes
    }

    init(time: UTCTime, backup: String, passed: Bool, totalSeconds: Double, phases: [RestoreDrill.Phase]) {
        self.time = time
        self.backup = backup
        self.passed = passed
        self.totalSeconds = totalSeconds
        self.phases = phases
    }

    /// The download and replay rates this drill measured, for the restore planner's time estimate; nil for a failed
    /// drill or one without both phases.
    public var estimate: RestoreEstimate? {
        guard passed, let download = phases.first(where: { $0.name == "download and extract" }),
              let recovery = phases.first(where: { $0.name.hasPrefix("recovery") }) else { return nil }
        return RestoreEstimate.measured(downloadBytes: downloadBytes, downloadSeconds: download.seconds, replayBytes: replayBytes,
                                        replaySeconds: recovery.seconds, source: "rates measured by the restore drill of \(time.iso8601)")
    }

    /// The rates of the newest passed drill that measured both, else the assumed ones.
    public static func estimate(in repository: Repository) throws -> RestoreEstimate {
        try recent(in: repository, limit: 5).reversed().lazy.compactMap(\.estimate).first ?? .assumed
    }

    /// Stores the record under a name of its own (the time and 64 random bits); never replaces one.
    public func save(in repository: Repository) throws {
        let key = DrillRecord.folder + time.compact + "-" + hex(try SecureRandom.bytes(8))
        let text = MetadataText([("format", "1"), ("time", time.iso8601), ("backup", backup), ("result", passed ? "passed" : "failed"),
                                 ("total-seconds", String(format1: totalSeconds)),
                                 ("download-bytes", String(downloadBytes)), ("replay-bytes", String(replayBytes))]
            + phases.map { ("phase", "\(String(format1: $0.seconds)) \($0.name)") })
        _ = try SealedMetadata.store(text, at: key, identity: try DrillRecord.identity(key, in: repository), under: repository.key, in: repository)
    }

    /// The newest `limit` drills, oldest first. Only sealed records count: one put there without the key (plain text,
    /// or bytes that do not authenticate) is passed over, with a warning for the latter, and never hides older genuine
    /// drills from the count.
    public static func recent(in repository: Repository, limit: Int) throws -> [DrillRecord] {
        var records: [DrillRecord] = []
        for key in try repository.storage.list(prefix: folder).sorted().reversed() where records.count < limit {
            let object = repository.storage.describe(key)
            let identity = try identity(key, in: repository)
            let reason: String
            do {
                guard let bytes = try repository.storage.readSmallObject(key) else { continue }
                let metadata = try SealedMetadata.decode(bytes, identity: identity, object: object, keyring: repository.keyring)
                if case .sealed(let text, _) = metadata, let record = record(text) { records.append(record) }
                continue
            } catch let error as StorageError {
                guard case .tooLarge = error else { throw error }
                reason = error.description
            } catch {
                reason = "\(error)"
            }
            repository.log.warning(once: object, about: rejectedTopic, "\(object) is not counted as a restore drill, as it does not "
                + "authenticate (\(reason)); anyone who can write to the repository can put such an object there")
        }
        return records.reversed()
    }

    private static func record(_ text: MetadataText) -> DrillRecord? {
        guard let time = text["time"].flatMap(UTCTime.init(iso8601:)), let total = Double(text["total-seconds"] ?? "") else { return nil }
        let phases = text.all("phase").compactMap { line -> RestoreDrill.Phase? in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let seconds = Double(parts[0]) else { return nil }
            return RestoreDrill.Phase(name: String(parts[1]), seconds: seconds)
        }
        var record = DrillRecord(time: time, backup: text["backup"] ?? "", passed: text["result"] == "passed", totalSeconds: total, phases: phases)
        record.downloadBytes = Int(text["download-bytes"] ?? "") ?? 0
        record.replayBytes = Int(text["replay-bytes"] ?? "") ?? 0
        return record
    }

    private static func identity(_ key: String, in repository: Repository) throws -> ObjectIdentity {
        ObjectIdentity(["repository": try repository.recordedState()?.repositoryID ?? "", "file": key])
    }
}
