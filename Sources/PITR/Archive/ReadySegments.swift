import PITRSupport
import PITRWAL

/// The WAL files PostgreSQL has marked ready to archive (`pg_wal/archive_status/<name>.ready`),
/// in the order PostgreSQL archives them: a timeline's `.history` file before its segments,
/// segments in WAL order, a segment before its `.backup` and `.partial` files.
enum ReadySegments {
    /// Every ready WAL file in `archiveStatus`, in archiving order; names that are not WAL file names are skipped.
    static func list(archiveStatus: String) throws -> [WALFileName] {
        guard FileSystem.isDirectory(archiveStatus) else { return [] }
        let suffix = ".ready"
        let names = try FileSystem.list(archiveStatus).compactMap { entry -> WALFileName? in
            guard entry.hasSuffix(suffix) else { return nil }
            return try? WALFileName(parsing: entry.dropLast(suffix.count))
        }
        return sortedForArchiving(names)
    }

    static func sortedForArchiving(_ names: [WALFileName]) -> [WALFileName] {
        names.sorted { order($0) < order($1) }
    }

    /// (timeline, history first, segment number parts, kind) as one comparable tuple.
    private static func order(_ name: WALFileName) -> (UInt32, Int, UInt32, UInt32, Int, UInt32) {
        switch name {
        case .history(let timeline): (timeline.rawValue, 0, 0, 0, 0, 0)
        case .segment(let s): (s.timeline.rawValue, 1, s.high, s.low, 0, 0)
        case .backup(let s, let offset): (s.timeline.rawValue, 1, s.high, s.low, 1, offset)
        case .partial(let s): (s.timeline.rawValue, 1, s.high, s.low, 2, 0)
        }
    }
}
