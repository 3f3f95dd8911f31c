import PITRSupport

/// The content of a backup history file, `<start segment>.<offset>.backup`, which PostgreSQL
/// writes at the end of each base backup and archives like WAL (`do_pg_backup_stop`). PostgreSQL
/// 15 to 18 write, one `KEY: value` per line:
///
/// ```
/// START WAL LOCATION: 0/4000028 (file 000000010000000000000004)
/// STOP WAL LOCATION: 0/4000100 (file 000000010000000000000004)
/// CHECKPOINT LOCATION: 0/4000060
/// BACKUP METHOD: streamed
/// BACKUP FROM: primary
/// START TIME: 2026-12-06 04:27:21 UTC
/// LABEL: nightly
/// START TIMELINE: 1
/// STOP TIME: 2026-12-06 04:27:21 UTC
/// STOP TIMELINE: 1
/// ```
///
/// (17 and 18 add `INCREMENTAL FROM LSN` and `INCREMENTAL FROM TLI` after an incremental backup.)
/// The label is free text and may hold newlines, even lines that read as keys, so the lines before
/// `LABEL` are read from the top and those after it from the bottom, up to the last `START TIMELINE`:
/// what lies between is the label. Lines of keys this build does not know are accepted in both parts.
///
/// The file's name is bound to its content: the segment and offset in the name are where `START WAL
/// LOCATION` lies, and the name's timeline is `STOP TIMELINE` (`check(name:offset:file:)`).
public struct BackupHistoryFile: Hashable, Sendable {
    /// Where the backup's WAL starts (the redo point of its checkpoint) and the segment that holds it.
    public let start: LSN
    public let startSegment: WALSegmentName
    /// Where the backup ended; WAL up to here is needed to restore it.
    public let stop: LSN
    public let stopSegment: WALSegmentName
    public let checkpoint: LSN
    /// As PostgreSQL wrote them (`2026-12-06 04:27:21 UTC`, in the server's log_timezone).
    public let startTime: String
    public let stopTime: String
    public let label: String
    public let startTimeline: TimelineID
    public let stopTimeline: TimelineID

    /// The fixed lines and a label of at most MAXPGPATH (1024) bytes fit with room to spare.
    public static let maximumSize = 8192

    /// Parses a backup history file's content; `file` names it in errors, which never quote the label
    /// or a line (free text of whoever started the backup).
    public init(parsing content: [UInt8], file: String) throws {
        func malformed(_ reason: String) -> WALError { .malformedBackupHistory(file: file, reason: reason) }
        guard content.count <= Self.maximumSize else { throw malformed("it is \(content.count) bytes, more than any backup history file") }
        guard content.last == UInt8(ascii: "\n") else { throw malformed("it does not end with a newline; it is truncated") }
        let lines = String(decoding: content.dropLast(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)

        guard let labelIndex = lines.firstIndex(where: { $0.hasPrefix("LABEL: ") }) else { throw malformed("it has no LABEL line") }
        var fields: [String: Substring] = [:]
        func take(_ index: Int) throws {
            guard let separator = lines[index].firstRange(of: ": "),
                  lines[index][..<separator.lowerBound].allSatisfy({ ("A"..."Z").contains($0) || $0 == " " }),
                  !lines[index][..<separator.lowerBound].isEmpty else {
                throw malformed("line \(index + 1) is not KEY: value")
            }
            let key = String(lines[index][..<separator.lowerBound])
            guard fields.updateValue(lines[index][separator.upperBound...], forKey: key) == nil else {
                throw malformed("\(key) appears twice")
            }
        }
        for index in lines.indices[..<labelIndex] { try take(index) }
        // From the bottom up to the last START TIMELINE: a label line that reads as a key lies above it.
        guard let startTimelineIndex = lines.lastIndex(where: { $0.hasPrefix("START TIMELINE: ") }), startTimelineIndex > labelIndex else {
            throw malformed("it has no START TIMELINE line after its LABEL")
        }
        for index in lines.indices[startTimelineIndex...] { try take(index) }
        label = String(lines[labelIndex..<startTimelineIndex].joined(separator: "\n").dropFirst("LABEL: ".count))

        func field(_ key: String) throws -> Substring {
            guard let value = fields[key] else { throw malformed("it has no \(key) line") }
            return value
        }
        func location(_ key: String) throws -> (LSN, WALSegmentName) {
            let value = try field(key)
            let parts = value.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1] == "(file", parts[2].hasSuffix(")"),
                  let lsn = try? LSN(parsing: parts[0]), let segment = try? WALSegmentName(parsing: parts[2].dropLast()) else {
                throw malformed("\(key) is not 'X/Y (file <24 hex digits>)'")
            }
            return (lsn, segment)
        }
        func timeline(_ key: String) throws -> TimelineID {
            let value = try field(key)
            guard value.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt32(value), number != 0 else {
                throw malformed("\(key) is not a timeline number")
            }
            return TimelineID(number)
        }
        func time(_ key: String) throws -> String {
            // "YYYY-MM-DD HH:MM:SS" and a zone: the shape of PostgreSQL's "%Y-%m-%d %H:%M:%S %Z".
            let value = try field(key)
            let shape = Array(value.utf8.prefix(20))
            let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            guard shape.count == 20, value.utf8.count > 20, digits.allSatisfy({ (0x30...0x39).contains(shape[$0]) }),
                  shape[4] == 0x2D, shape[7] == 0x2D, shape[10] == 0x20, shape[13] == 0x3A, shape[16] == 0x3A, shape[19] == 0x20,
                  !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw malformed("\(key) is not a time such as 2026-12-06 04:27:21 UTC")
            }
            return String(value)
        }

        (start, startSegment) = try location("START WAL LOCATION")
        (stop, stopSegment) = try location("STOP WAL LOCATION")
        guard let checkpoint = try? LSN(parsing: try field("CHECKPOINT LOCATION")) else {
            throw malformed("CHECKPOINT LOCATION is not an LSN")
        }
        self.checkpoint = checkpoint
        startTime = try time("START TIME")
        stopTime = try time("STOP TIME")
        startTimeline = try timeline("START TIMELINE")
        stopTimeline = try timeline("STOP TIMELINE")

        // What PostgreSQL's own values always satisfy.
        guard startSegment.timeline == startTimeline, stopSegment.timeline == stopTimeline else {
            throw malformed("the files of START and STOP WAL LOCATION are not on START and STOP TIMELINE")
        }
        guard start <= checkpoint, start <= stop else {
            throw malformed("it starts at \(start), after its checkpoint \(checkpoint) or its stop \(stop)")
        }
        guard startTimeline <= stopTimeline else {
            throw malformed("START TIMELINE \(startTimeline) is after STOP TIMELINE \(stopTimeline)")
        }
        guard let size = Self.segmentSize(placing: start, in: startSegment), Self.segmentSize(placing: stop, in: stopSegment) != nil else {
            throw malformed("START or STOP WAL LOCATION lies outside the file it names")
        }
        startOffset = UInt32(truncatingIfNeeded: start.rawValue % size.bytes)
    }

    /// `START WAL LOCATION`'s offset in its segment: the offset in the file's name.
    public let startOffset: UInt32

    /// The name PostgreSQL gives this content: the start segment on the stop timeline, and the start offset.
    public var fileName: WALFileName {
        .backup(WALSegmentName(timeline: stopTimeline, high: startSegment.high, low: startSegment.low), offset: startOffset)
    }

    /// Checks the content against the name it is stored or fetched under, `<segment>.<offset>.backup`:
    /// `START WAL LOCATION` must lie in that segment at that offset, and the name's timeline is
    /// `STOP TIMELINE` (PostgreSQL names the file with the timeline the backup ended on).
    public func check(name segment: WALSegmentName, offset: UInt32, file: String) throws {
        let name = WALFileName.backup(segment, offset: offset)
        guard name == fileName else {
            throw WALError.backupHistoryNameMismatch(file: file, name: name.fileName, start: start, contentName: fileName.fileName)
        }
    }

    /// Reads and checks the backup history file open as `file` (at most `maximumSize` bytes, by
    /// position, so the descriptor's offset is left alone); `shown` names it in errors.
    public static func read(_ file: SystemFile, name segment: WALSegmentName, offset: UInt32, shown: String) throws -> BackupHistoryFile {
        var bytes = [UInt8](repeating: 0, count: maximumSize + 1)
        let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        let history = try BackupHistoryFile(parsing: Array(bytes[..<count]), file: shown)
        try history.check(name: segment, offset: offset, file: shown)
        return history
    }

    /// The segment size with which `lsn` falls in `segment` (its high and low parts), or nil when none
    /// does. When one does it is the only one, or all that do put `lsn` at the same offset: the name of
    /// the file binds the offset without knowing the cluster's segment size.
    static func segmentSize(placing lsn: LSN, in segment: WALSegmentName) -> WALSegmentSize? {
        var bytes = WALSegmentSize.minimum
        while bytes <= WALSegmentSize.maximum {
            if let size = try? WALSegmentSize(bytes: bytes),
               WALSegmentName.segment(containing: lsn, timeline: segment.timeline, segmentSize: size) == segment {
                return size
            }
            bytes <<= 1
        }
        return nil
    }
}
