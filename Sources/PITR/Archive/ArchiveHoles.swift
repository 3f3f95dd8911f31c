import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// Tells a hole in the archive from its end, for a file wal-fetch did not find. "Not found" makes
/// PostgreSQL end recovery and open the database there, so it is right only when the archive holds
/// nothing that shows the cluster went on past the file. It did when:
/// - a later file of the same timeline (segment, `.partial` or `.backup`) was stored more than
///   `grace` seconds ago (within it, the file may simply be late: push-ahead can store N+1 a
///   moment before N);
/// - the history of a newer timeline says the file's timeline went on past the segment (its
///   switchpoint lies beyond the segment's end), or, for a history file, descends from it.
///
/// Probes of what does not exist yet are not holes: the next timeline's history, segments of a
/// timeline before the one it began in or of a timeline that has none yet, and segments beyond
/// the end of the archive. Runs only after the object was not found, so the found path costs nothing more.
struct ArchiveHoles {
    package let archive: WALArchive
    /// Seconds a later file must have been stored before it proves a hole.
    let grace: Int64

    package init(archive: WALArchive, grace: Int64) {
        self.archive = archive
        self.grace = grace
    }

    /// What the archive holds after a missing file.
    struct Evidence {
        /// One listing of the missing file's timeline (its folders and its history), by name.
        var timelineFiles: [WALFileName: StoredObject]
        /// The history of the missing file's timeline, when archived: where the timeline began.
        var ownHistory: TimelineHistory?
        /// The archived histories of the timelines after it, in order, up to the first one missing.
        var newerHistories: [TimelineHistory]

        package init(timelineFiles: [WALFileName: StoredObject] = [:], ownHistory: TimelineHistory? = nil,
                     newerHistories: [TimelineHistory] = []) {
            self.timelineFiles = timelineFiles
            self.ownHistory = ownHistory
            self.newerHistories = newerHistories
        }
    }

    /// Throws `ArchiveHole` when `missing` (which the archive does not hold) is a hole.
    package func check(_ missing: WALFileName) throws {
        let timeline: TimelineID, isSegment: Bool
        switch missing {
        case .segment(let segment): (timeline, isSegment) = (segment.timeline, true)
        case .history(let history): (timeline, isSegment) = (history, false)
        case .partial, .backup: return  // PostgreSQL never asks for these
        }
        let evidence = try gather(timeline: timeline, listing: isSegment)
        // Nothing after it: the end of the archive (and no archive.info needs reading).
        if evidence.timelineFiles.isEmpty, evidence.newerHistories.isEmpty { return }
        let segmentSize = try archive.checkedSegmentSize()
        if let hole = hole(missing, evidence: evidence, segmentSize: segmentSize, now: UTCTime.now()) { throw hole }
    }

    /// Reads the evidence for a missing file of `timeline`: the listing (for a segment) and the histories.
    func gather(timeline: TimelineID, listing: Bool) throws -> Evidence {
        var evidence = Evidence()
        if listing {
            for object in try archive.repository.storage.listObjects(prefix: archive.folder + "/" + timeline.hex) {
                let name = object.key.split(separator: "/").last.map(String.init) ?? ""
                if let file = try? WALFileName(parsing: name) { evidence.timelineFiles[file] = object }
            }
            if evidence.timelineFiles[.history(timeline)] != nil {
                evidence.ownHistory = try archive.history(of: timeline)
            }
        }
        // Timelines are numbered one after the other (PostgreSQL takes the first whose history is
        // missing), so the newer ones end at the first history the archive lacks.
        var next = timeline.next()
        while next.rawValue > timeline.rawValue, let history = try archive.history(of: next) {
            evidence.newerHistories.append(history)
            next = next.next()
        }
        return evidence
    }

    /// The hole `missing` is, by `evidence`, at `now`; nil when it may be the end of the archive.
    package func hole(_ missing: WALFileName, evidence: Evidence, segmentSize: WALSegmentSize, now: UTCTime) -> ArchiveHole? {
        switch missing {
        case .segment(let segment):
            let number = segment.number(segmentSize)
            // A timeline holds no segment before the one it began in: asking for one is a probe.
            if let begin = evidence.ownHistory?.entries.last?.switchpoint,
               number < WALSegmentName.segment(containing: begin, timeline: segment.timeline, segmentSize: segmentSize).number(segmentSize) {
                return nil
            }
            let settled = now.secondsSinceEpoch - grace
            let later = evidence.timelineFiles.compactMap { file, object -> (WALFileName, WALSegmentName, StoredObject)? in
                guard let laterSegment = file.segmentName, laterSegment.timeline == segment.timeline,
                      laterSegment.number(segmentSize) > number,
                      (object.lastModified?.secondsSinceEpoch ?? .min) <= settled else { return nil }
                return (file, laterSegment, object)
            }.min { $0.1 < $1.1 }
            if let (file, _, object) = later {
                let stored = object.lastModified.map { " at \($0.iso8601)" } ?? ""
                return ArchiveHole(missing: describe(missing),
                                   evidence: "\(describe(file)) of the same timeline was stored\(stored), more than \(grace) s ago (TAILTOWN_FETCH_GAP_GRACE)")
            }
            let end = segment.next(segmentSize).startLSN(segmentSize)
            for history in evidence.newerHistories {
                if let entry = history.entries.first(where: { $0.parent == segment.timeline }), entry.switchpoint >= end {
                    return ArchiveHole(missing: describe(missing),
                                       evidence: "\(describe(.history(history.timeline))) says timeline \(segment.timeline) went on to \(entry.switchpoint)")
                }
            }
            return nil
        case .history(let timeline):
            if let history = evidence.newerHistories.first(where: { $0.entries.contains { $0.parent == timeline } }) {
                return ArchiveHole(missing: describe(missing),
                                   evidence: "\(describe(.history(history.timeline))) says timeline \(history.timeline) descends from timeline \(timeline)")
            }
            return nil
        case .partial, .backup:
            return nil
        }
    }

    private func describe(_ file: WALFileName) -> String {
        archive.repository.storage.describe(archive.key(for: file))
    }
}

/// A file recovery needs that the archive lacks although it holds WAL written after it.
struct ArchiveHole: PITRError, Equatable {
    /// The missing file's object.
    package let missing: String
    /// What shows that the cluster went on past it.
    let evidence: String

    package var description: String {
        "\(missing) is missing from the archive, yet \(evidence): a hole in the archive, not its end, so recovery stops here "
            + "instead of ending early; put the file back into the archive, or restore to a target before it"
    }
}

private extension WALFileName {
    /// The segment a segment, `.partial` or `.backup` file belongs to; nil for a history file.
    var segmentName: WALSegmentName? {
        switch self {
        case .segment(let segment), .partial(let segment), .backup(let segment, _): segment
        case .history: nil
        }
    }
}
