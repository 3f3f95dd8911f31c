import PITRRepository
import PITRSupport

/// The outcome of the last `verify`, kept in the repository as `verify.last` so that `check`
/// and `status` can report it (as the last_verify metrics) without verifying again.
public struct VerifyRecord: Equatable, Sendable {
    static let key = "verify.last"

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

    public func save(in repository: Repository) throws {
        let text = MetadataText([("format", "1"), ("time", time.iso8601), ("result", sound ? "ok" : "failed"),
                                 ("deep", deep ? "true" : "false"), ("problems", String(problems))])
        let upload = try repository.storage.startUpload(Self.key)
        try text.bytes.withUnsafeBytes { try upload.write($0) }
        _ = try upload.commit(replace: true)
    }

    /// The last record, or nil when `verify` never ran on this repository (or its record is unreadable).
    public static func load(from repository: Repository) throws -> VerifyRecord? {
        guard let text = try repository.readMetadata(key), let time = text["time"].flatMap(UTCTime.init(iso8601:)) else { return nil }
        return VerifyRecord(time: time, sound: text["result"] == "ok", deep: text["deep"] == "true", problems: Int(text["problems"] ?? "") ?? 0)
    }
}
