import PITRSupport

/// The content of a `<timeline>.history` file: for each ancestor of `timeline`, the LSN at
/// which WAL switched away from it. PostgreSQL writes one line per ancestor,
/// `parentTLI<TAB>switchpoint<TAB>reason` (timeline in decimal), and ignores blank lines
/// and `#` comments.
public struct TimelineHistory: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        /// An ancestor timeline.
        public let parent: TimelineID
        /// The first LSN that is no longer on `parent` but on its child.
        public let switchpoint: LSN
        /// Free text such as "no recovery target specified"; may be empty.
        public let reason: String

        public init(parent: TimelineID, switchpoint: LSN, reason: String) {
            self.parent = parent
            self.switchpoint = switchpoint
            self.reason = reason
        }
    }

    /// The timeline the file describes (its file name).
    public let timeline: TimelineID
    /// Oldest ancestor first.
    public let entries: [Entry]

    /// Parses a history file's content; `file` names it in errors. Refuses what PostgreSQL
    /// refuses: unparsable lines, ancestors not in increasing order, or not below `timeline`.
    public init(parsing content: [UInt8], timeline: TimelineID, file: String) throws {
        let text = String(decoding: content, as: UTF8.self)
        var entries: [Entry] = []
        var lineNumber = 0
        // Splitting on Character.isNewline also handles "\r\n", a single Character in Swift.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.first == "#" || line.allSatisfy({ $0.isWhitespace }) { continue }
            let entry = try Self.parseLine(line, number: lineNumber, file: file)
            if let previous = entries.last, entry.parent <= previous.parent {
                throw WALError.malformedHistory(file: file, line: lineNumber,
                    reason: "timeline \(entry.parent) follows timeline \(previous.parent); timelines must increase")
            }
            guard entry.parent < timeline else {
                throw WALError.malformedHistory(file: file, line: lineNumber,
                    reason: "ancestor timeline \(entry.parent) is not below this file's timeline \(timeline)")
            }
            entries.append(entry)
        }
        self.timeline = timeline
        self.entries = entries
    }

    /// Reads a history file; its timeline comes from its name (`<8 hex>.history`).
    public static func read(path: String) throws -> TimelineHistory {
        let name = FileSystem.basename(of: path)
        guard case .history(let timeline) = try WALFileName(parsing: name) else {
            throw WALError.malformedHistory(file: path, line: 0, reason: "the file name is not <8 hex digits>.history")
        }
        return try TimelineHistory(parsing: try FileSystem.readFile(path), timeline: timeline, file: path)
    }

    /// The timeline on this history's path that wrote `lsn`: the first ancestor whose
    /// switchpoint lies after it, else `timeline` itself.
    public func timeline(containing lsn: LSN) -> TimelineID {
        entries.first { lsn < $0.switchpoint }?.parent ?? timeline
    }

    /// Every timeline on the path from the first to `timeline`, oldest first.
    public var lineage: [TimelineID] { entries.map(\.parent) + [timeline] }

    private static func parseLine(_ line: Substring, number: Int, file: String) throws -> Entry {
        let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count >= 2 else {
            throw WALError.malformedHistory(file: file, line: number,
                reason: "expected <parent timeline><TAB><switchpoint LSN><TAB><reason>")
        }
        guard fields[0].allSatisfy({ $0.isASCII && $0.isNumber }), let parent = UInt32(fields[0]), parent != 0 else {
            throw WALError.malformedHistory(file: file, line: number,
                reason: "'\(fields[0])' is not a timeline number")
        }
        let switchpointText = fields[1].trimmingSuffix { $0 == " " }
        guard let switchpoint = try? LSN(parsing: switchpointText) else {
            throw WALError.malformedHistory(file: file, line: number,
                reason: "'\(switchpointText)' is not a switchpoint LSN")
        }
        let reason = fields.count == 3 ? String(fields[2]) : ""
        return Entry(parent: TimelineID(parent), switchpoint: switchpoint, reason: reason)
    }
}

private extension Substring {
    func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var result = self
        while let last = result.last, predicate(last) { result.removeLast() }
        return result
    }
}
