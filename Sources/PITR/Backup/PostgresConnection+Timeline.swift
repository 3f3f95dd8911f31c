import PITRNative
import PITRWAL

extension PostgresConnection {
    /// The history of `timeline` on a replication connection (`TIMELINE_HISTORY`); nil for timeline 1, which has none.
    func timelineHistory(of timeline: TimelineID) throws -> TimelineHistory? {
        guard timeline.rawValue > 1 else { return nil }
        let rows = try query("TIMELINE_HISTORY \(timeline.rawValue)")
        guard let file = rows.value("filename"), let content = rows.value("content") else {
            throw BackupError.protocolViolation("TIMELINE_HISTORY \(timeline) \(rows.columns)")
        }
        return try TimelineHistory(parsing: Array(content.utf8), timeline: timeline, file: file)
    }
}
