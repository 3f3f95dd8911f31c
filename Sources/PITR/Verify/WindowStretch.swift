import PITRWAL

/// One stretch of the promised window on one timeline: proven (every point of it can be restored), or
/// unprovable with the cause and the first object involved.
public struct WindowStretch: Equatable, Sendable {
    public let timeline: TimelineID
    public let start: LSN
    public let end: LSN
    /// The newest commit at or before `start` (or a backup's stop moment); nil when nothing dates it.
    public let startTime: PostgresTimestamp?
    /// The newest commit before `end` (or the stop moment of the backup that ends the stretch).
    public let endTime: PostgresTimestamp?
    /// Nil for a proven stretch.
    public let cause: String?
    /// The first object involved in an unprovable stretch (the missing or unreadable segment, the missing history file).
    public let object: String?

    /// `endTime` is never before `startTime`: a stretch that holds no commit after a backup's stop ends at that stop.
    init(timeline: TimelineID, start: LSN, end: LSN, startTime: PostgresTimestamp?, endTime: PostgresTimestamp?, cause: String?, object: String?) {
        self.timeline = timeline
        self.start = start
        self.end = end
        self.startTime = startTime
        self.endTime = startTime.map { start in endTime.map { max($0, start) } ?? start } ?? endTime
        self.cause = cause
        self.object = object
    }

    public var isProven: Bool { cause == nil }

    /// Whole seconds between the two times; 0 when either is unknown.
    public var seconds: Int64 {
        guard let startTime, let endTime, endTime > startTime else { return 0 }
        return (endTime.rawValue - startTime.rawValue + 999_999) / 1_000_000
    }

    public var description: String {
        let times = "\(startTime?.description ?? "?") to \(endTime?.description ?? "?")"
        let range = "timeline \(timeline) \(start)..\(end) (\(times))"
        guard let cause else { return "proven: \(range)" }
        return "unprovable: \(range): \(cause)" + (object.map { " (first object: \($0))" } ?? "")
    }
}
