import PITRWAL

/// Which names of an archive may hold objects of format 1 (bound to no name): those archived before the archive
/// switched to format 2. Recorded, authenticated, in the repository log and in `archive.info` when a release that
/// writes format 2 first pushes to an archive (docs/format.md, "Repository log"). An archive made since holds no
/// format 1 object at all. Within the old range a format 1 object is read as before; beyond it, it is refused.
package struct FormatSwitch: Equatable, Sendable {
    /// For each timeline with WAL archived at the switch, the highest segment number then archived.
    let lastSegments: [UInt32: UInt64]
    /// The highest timeline whose history file was archived at the switch; 0 for none.
    let lastHistory: UInt32

    /// An archive made in format 2: no format 1 object belongs to it.
    package static let none = FormatSwitch(lastSegments: [:], lastHistory: 0)

    init(lastSegments: [UInt32: UInt64], lastHistory: UInt32) {
        self.lastSegments = lastSegments
        self.lastHistory = lastHistory
    }

    /// The range of an archive that holds the WAL files `files` (its listing when the switch is recorded).
    package init(archived files: some Sequence<WALFileName>, segmentSize: WALSegmentSize) {
        var segments: [UInt32: UInt64] = [:]
        var history: UInt32 = 0
        for file in files {
            switch file {
            case .history(let timeline):
                history = max(history, timeline.rawValue)
            case .segment(let segment), .partial(let segment), .backup(let segment, _):
                let number = segment.number(segmentSize)
                segments[segment.timeline.rawValue] = max(segments[segment.timeline.rawValue] ?? 0, number)
            }
        }
        self.init(lastSegments: segments, lastHistory: history)
    }

    /// Whether `file` was within the archive's range at the switch.
    package func acceptsFormat1(_ file: WALFileName, segmentSize: WALSegmentSize) -> Bool {
        switch file {
        case .history(let timeline):
            return timeline.rawValue <= lastHistory
        case .segment(let segment), .partial(let segment), .backup(let segment, _):
            guard let last = lastSegments[segment.timeline.rawValue] else { return false }
            return segment.number(segmentSize) <= last
        }
    }

    /// `none`, or `history=<n>` and `<timeline>:<last segment number>` words (decimal), space-separated.
    package var text: String {
        if self == .none { return "none" }
        let segments = lastSegments.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
        return (["history=\(lastHistory)"] + segments).joined(separator: " ")
    }

    /// Parses `text`; nil when it is not what `text` writes.
    package init?(text: String) {
        if text == "none" { self = .none; return }
        var segments: [UInt32: UInt64] = [:]
        var history: UInt32?
        for word in text.split(separator: " ") {
            if word.hasPrefix("history="), let value = UInt32(word.dropFirst("history=".count)) {
                history = value
                continue
            }
            let parts = word.split(separator: ":")
            guard parts.count == 2, let timeline = UInt32(parts[0]), let last = UInt64(parts[1]) else { return nil }
            segments[timeline] = last
        }
        guard let history else { return nil }
        self.init(lastSegments: segments, lastHistory: history)
    }
}
