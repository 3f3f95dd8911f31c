import PITRWAL

/// Whether the WAL summaries a server holds cover what BASE_BACKUP ... INCREMENTAL on top of a parent backup needs,
/// judged as the server judges it (basebackup_incremental.c): on every timeline from the parent's start to the
/// server's current one, summaries without a gap from the parent's start LSN (on later timelines, from where each
/// began) to where each timeline ended, and on the current one to where the summarizer has written summaries so far
/// (the rest it summarizes before the backup starts).
struct SummaryCoverage {
    /// One WAL summary file (`pg_available_wal_summaries()`): the blocks changed from `start` up to `end`.
    struct Summary: Equatable {
        let timeline: TimelineID
        let start: LSN
        let end: LSN
    }

    /// The timelines of the server's history, oldest first, each with where it began and ended (nil: the current one).
    struct Span: Equatable {
        let timeline: TimelineID
        let begin: LSN
        let end: LSN?
    }

    let spans: [Span]
    let summaries: [Summary]
    /// The end of the summaries written so far on the current timeline.
    let summarizedUpTo: LSN

    /// The spans of `history`, the current timeline's history file (nil for timeline 1, which has none).
    static func spans(current: TimelineID, history: TimelineHistory?) -> [Span] {
        var spans: [Span] = []
        var begin = LSN.zero
        for entry in history?.entries ?? [] {
            spans.append(Span(timeline: entry.parent, begin: begin, end: entry.switchpoint))
            begin = entry.switchpoint
        }
        return spans + [Span(timeline: current, begin: begin, end: nil)]
    }

    /// nil when covered, else why not in one line, naming backup `parent` that started at `start` on `timeline`.
    func gap(parent: String, start: LSN, timeline: TimelineID) -> String? {
        guard let first = spans.firstIndex(where: { $0.timeline == timeline }) else {
            return "backup \(parent) is on timeline \(timeline), which is not in the history of the server's timeline \(spans.last?.timeline.description ?? "?")"
        }
        let span = spans[first]
        if start < span.begin || span.end.map({ start >= $0 }) == true {
            return "backup \(parent) started at \(start) on timeline \(timeline), which the server's history has from \(span.begin)"
                + (span.end.map { " to \($0)" } ?? "") + ": the backup is of another branch of history"
        }
        for span in spans[first...] {
            let from = span.timeline == timeline ? start : span.begin
            let to = span.end ?? summarizedUpTo
            if let missing = firstMissing(on: span.timeline, from: from, to: to) {
                return "the server's WAL summaries on timeline \(span.timeline) do not cover \(from) to \(to), the WAL since backup \(parent) started"
                    + " (the first LSN without one is \(missing)): summarize_wal was off for part of it, or wal_summary_keep_time removed them"
            }
        }
        return nil
    }

    /// The first LSN in `from..<to` on `timeline` that no summary covers; nil when all of it is covered.
    private func firstMissing(on timeline: TimelineID, from: LSN, to: LSN) -> LSN? {
        var reached = from
        for summary in summaries.filter({ $0.timeline == timeline }).sorted(by: { $0.start < $1.start }) where summary.end > reached {
            if reached >= to { break }
            if summary.start > reached { return reached }
            reached = summary.end
        }
        return reached < to ? reached : nil
    }
}
