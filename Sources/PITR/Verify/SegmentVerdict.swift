import PITRWAL

/// What `verify --window` learned of one segment copy: sound (its records decoded, every CRC-32C right, every
/// page address the one its name gives) with the facts the window needs, missing, or unreadable with the reason.
public enum SegmentVerdict: Equatable, Sendable {
    case sound(SegmentFacts)
    case missing(object: String)
    case bad(object: String, reason: String)

    var facts: SegmentFacts? {
        if case .sound(let facts) = self { return facts }
        return nil
    }
}

/// A sound segment's readable end and the times of its first and last commit or abort.
public struct SegmentFacts: Equatable, Sendable {
    /// Where its readable WAL ends; the segment's end unless it is the newest and still being written.
    public var end: LSN
    public var firstCommit: PostgresTimestamp?
    public var lastCommit: PostgresTimestamp?

    public init(end: LSN, firstCommit: PostgresTimestamp?, lastCommit: PostgresTimestamp?) {
        self.end = end
        self.firstCommit = firstCommit
        self.lastCommit = lastCommit
    }
}
