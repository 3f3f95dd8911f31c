import PITRPipeline
import PITRRepository
import PITRSupport

/// The outcome of the last `verify`, kept in the repository so that `check` and `status` can report it (as the
/// last_verify metrics) without verifying again: one object per run, never replaced (`RecordSeries.verify`).
public struct VerifyRecord: Equatable, Sendable {
    public let time: UTCTime
    public let sound: Bool
    public let deep: Bool
    public let problems: Int

    public init(_ report: VerifyReport) {
        time = report.time
        sound = report.isSound
        deep = report.deep
        problems = report.problems.count
    }

    init(time: UTCTime, sound: Bool, deep: Bool, problems: Int) {
        self.time = time
        self.sound = sound
        self.deep = deep
        self.problems = problems
    }

    /// Stores the record sealed (docs/format.md, "Repository log"), so that no one without the key can make a failed
    /// verify read as a passed one.
    public func save(in repository: Repository) throws {
        let text = MetadataText([("format", "1"), ("time", time.iso8601), ("result", sound ? "ok" : "failed"),
                                 ("deep", deep ? "true" : "false"), ("problems", String(problems))])
        _ = try RecordSeries.verify.append("verify", on: repository.storage) { key in
            try SealedMetadata.store(text, at: key, identity: try RecordSeries.verifyIdentity(key, in: repository), under: repository.key, in: repository)
        }
    }

    /// The newest record that authenticates (`RecordSeries.standingVerify`: each newer one is warned of), or nil when
    /// `verify` never ran on this repository, or no record is sealed (an earlier release's, or put there without the key),
    /// which counts as no verify at all.
    public static func load(from repository: Repository) throws -> VerifyRecord? {
        guard let text = try RecordSeries.standingVerify(in: RecordSeries.verify.listing(on: repository.storage), of: repository).standing?.text,
              let time = text["time"].flatMap(UTCTime.init(iso8601:)) else { return nil }
        return VerifyRecord(time: time, sound: text["result"] == "ok", deep: text["deep"] == "true", problems: Int(text["problems"] ?? "") ?? 0)
    }
}
