import PITRSupport
import PITRWAL

/// Failures of the prefetcher and of handing its files over, each naming the file or folder.
public enum PrefetchError: PITRError, Equatable {
    case timelineNotInHistory(object: String, headerTimeline: TimelineID, timeline: TimelineID)

    public var description: String {
        switch self {
        case .timelineNotInHistory(let object, let header, let timeline):
            "WAL file \(object) begins with records of timeline \(header), which is not in the history of timeline \(timeline): the archive mixes WAL of unrelated timelines"
        }
    }
}
