import PITRRepository
import PITRWAL

/// Proves that the archive holds the WAL a timeline path needs, segment by segment, from one
/// listing (`ArchiveIndex`): no download, no storage request per segment.
struct WALCoverage {
    let index: ArchiveIndex
    let path: TimelinePath

    /// The highest segment number the archive holds on the path; nil when it holds none.
    var lastArchived: UInt64? { path.lastArchivedSegment(in: index) }

    func isArchived(_ number: UInt64) -> Bool { index.contains(.segment(path.segment(number))) }

    /// The first segment number in `first...last` the archive lacks.
    func firstMissing(from first: UInt64, through last: UInt64) -> UInt64? {
        guard first <= last else { return nil }
        return (first...last).first { !isArchived($0) }
    }

    /// Throws `walGap` for the first segment of `first...last` the archive lacks.
    func prove(from first: UInt64, through last: UInt64) throws {
        if let missing = firstMissing(from: first, through: last) {
            throw gap(at: missing, through: last)
        }
    }

    /// The gap that starts at segment `missing`: it runs to the next segment the archive holds
    /// on the path, or to the end of `last` when none follows.
    func gap(at missing: UInt64, through last: UInt64) -> RestorePlanError {
        let end = max(last, lastArchived ?? last)
        let next = missing < end ? (missing + 1...end).first(where: isArchived) : nil
        let segment = path.segment(missing)
        return .walGap(segment: segment.fileName,
                       archive: index.archive.repository.storage.describe(index.archive.folder),
                       from: path.startLSN(ofSegment: missing),
                       to: path.startLSN(ofSegment: next ?? max(last, missing) + 1))
    }

    /// Stored bytes of `files` as listed.
    func storedBytes(_ files: [WALFileName]) -> Int {
        files.reduce(0) { $0 + (index.files[$1]?.size ?? 0) }
    }
}
