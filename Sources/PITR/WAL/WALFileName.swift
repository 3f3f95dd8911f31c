import PITRSupport

/// A file name PostgreSQL may hand to archive_command or ask of restore_command.
public enum WALFileName: Hashable, Sendable, CustomStringConvertible {
    /// `<24 hex>`: a complete segment.
    case segment(WALSegmentName)
    /// `<24 hex>.partial`: the last, incomplete segment of a timeline left at promotion.
    case partial(WALSegmentName)
    /// `<8 hex>.history`: the ancestry of a timeline.
    case history(TimelineID)
    /// `<24 hex>.<8 hex>.backup`: a backup history file; the offset is the backup's start within the segment.
    case backup(WALSegmentName, offset: UInt32)

    /// Parses any of the four forms (uppercase hex only, as PostgreSQL writes them).
    public init(parsing fileName: some StringProtocol) throws {
        let name = String(fileName)
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let parsed: WALFileName?
        switch parts.count {
        case 1:
            parsed = (try? WALSegmentName(parsing: parts[0])).map { .segment($0) }
        case 2 where parts[1] == "partial":
            parsed = (try? WALSegmentName(parsing: parts[0])).map { .partial($0) }
        case 2 where parts[1] == "history":
            parsed = (try? TimelineID(parsingHex: parts[0])).map { .history($0) }
        case 3 where parts[2] == "backup" && parts[1].count == 8:
            if let segment = try? WALSegmentName(parsing: parts[0]),
               let offset = Hex.parse32(parts[1], uppercaseOnly: true) {
                parsed = .backup(segment, offset: offset)
            } else {
                parsed = nil
            }
        default:
            parsed = nil
        }
        guard let parsed else { throw WALError.notAWALFileName(name) }
        self = parsed
    }

    public var fileName: String {
        switch self {
        case .segment(let name): return name.fileName
        case .partial(let name): return name.fileName + ".partial"
        case .history(let timeline): return timeline.hex + ".history"
        case .backup(let name, let offset): return name.fileName + "." + Hex.format(offset, width: 8) + ".backup"
        }
    }

    /// The segment the file belongs to; nil for a history file, which belongs to a whole timeline.
    public var segment: WALSegmentName? {
        switch self {
        case .segment(let name), .partial(let name), .backup(let name, _): return name
        case .history: return nil
        }
    }

    public var timeline: TimelineID {
        switch self {
        case .segment(let name), .partial(let name), .backup(let name, _): return name.timeline
        case .history(let timeline): return timeline
        }
    }

    public var description: String { fileName }
}
