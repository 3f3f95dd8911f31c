import PITRRepository
import PITRSupport
import PITRWAL

/// What `incidents` looks for: commits within `since`...`until` (times of the commit records),
/// optionally only those touching one relation file, and how many rows one transaction must delete
/// or update in one relation to count.
public struct IncidentQuery: Sendable {
    public var since: PostgresTimestamp?
    public var until: PostgresTimestamp?
    /// A table: its name (schema-qualified or not) or a relation file number (pg_relation_filenode).
    public var table: String?
    public var rowThreshold: Int
    /// One incident by its id (`restore --before-incident`): only the segments up to its commit are read.
    public var id: (timeline: TimelineID, commitLSN: LSN)?

    public static let defaultRowThreshold = 1000

    public init(since: PostgresTimestamp? = nil, until: PostgresTimestamp? = nil, table: String? = nil,
                rowThreshold: Int = IncidentQuery.defaultRowThreshold) {
        self.since = since
        self.until = until
        self.table = table
        self.rowThreshold = rowThreshold
    }
}

/// The incidents found, oldest first, and what it took to find them.
public struct IncidentSearch: Sendable {
    public let incidents: [Incident]
    public let segmentsRead: Int
    /// Whether restore commands must name the cluster (the repository holds several) or the timeline
    /// (the archive holds several).
    public let namingCluster: Bool
    public let namingTimeline: Bool
    /// Holes in the archive within the segments read: the segments on each side, whose WAL between
    /// is missing, so incidents there cannot be known.
    public let gaps: [(after: WALSegmentName, before: WALSegmentName)]
}

/// Decodes the archived WAL of every cluster in the repository (every timeline), classifies the
/// committed transactions (`IncidentClassifier`) and names their tables (`IncidentNaming`). With `since`/`until` only the segments from the
/// first commit at or after `since` (less `leadSegments`, where the transaction's earlier records
/// lie) through the first commit after `until` are read, placed as `restore --to` places a time.
/// Segments are downloaded and decoded by `threads` workers (`ParallelChangeScan`).
public struct IncidentFinder {
    let repository: Repository
    let openRepository: RepositoryOpener
    let threads: Int

    /// Segments read before the one holding the first commit at or after `since`: a transaction's
    /// rows changed there still count towards its total.
    static let leadSegments = 2
    /// Segments read before an incident's commit when it is looked up by id.
    static let incidentLeadSegments = 8

    public init(repository: Repository, openRepository: @escaping RepositoryOpener,
                threads: Int = min(4, max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))) {
        self.repository = repository
        self.openRepository = openRepository
        self.threads = threads
    }

    public func find(_ query: IncidentQuery) throws -> IncidentSearch {
        let identities = try ArchiveIndex.identities(in: repository)
        guard !identities.isEmpty else { throw ArchiveError.noArchive(archive: "repository \(repository.name)") }
        var incidents: [Incident] = []
        var segmentsRead = 0
        var namingTimeline = false
        var gaps: [(after: WALSegmentName, before: WALSegmentName)] = []
        for identity in identities {
            let index = try ArchiveIndex.load(repository: repository, identity: identity)
            let timelines = Set(index.files.keys.compactMap { file -> TimelineID? in
                if case .segment(let segment) = file { return segment.timeline }
                return nil
            }).sorted()
            namingTimeline = namingTimeline || timelines.count > 1
            var byCommit: [LSN: Incident] = [:]
            var unreadableClassRows = 0
            var refusedClassImage: String?
            for timeline in timelines where query.id == nil || query.id?.timeline == timeline {
                let segments = index.segments(on: timeline)
                let range = try selected(segments, index: index, query: query)
                guard !range.isEmpty else { continue }
                for position in range.dropLast()
                where segments[position + 1].number(index.segmentSize) != segments[position].number(index.segmentSize) + 1 {
                    gaps.append((segments[position], segments[position + 1]))
                }
                var classifier = IncidentClassifier(cluster: identity, timeline: timeline, rowThreshold: query.rowThreshold)
                try ParallelChangeScan(segments: segments, range: range, index: index, openRepository: openRepository,
                                       threads: threads).run { classifier.add($0) }
                segmentsRead += range.count
                unreadableClassRows += classifier.unreadableClassRows
                refusedClassImage = refusedClassImage ?? classifier.refusedClassImage
                // A timeline's first segment repeats its parent's WAL up to the switch: keep the parent's.
                for incident in classifier.incidents where byCommit[incident.commitLSN] == nil {
                    byCommit[incident.commitLSN] = incident
                }
            }
            var naming = try IncidentNaming(repository: repository, identity: identity, unreadableClassRows: unreadableClassRows,
                                            refusedClassImage: refusedClassImage)
            for var incident in byCommit.values {
                naming.name(&incident)
                if query.matches(incident) { incidents.append(incident) }
            }
        }
        incidents.sort { ($0.commitTime, $0.commitLSN) < ($1.commitTime, $1.commitLSN) }
        return IncidentSearch(incidents: incidents, segmentsRead: segmentsRead, namingCluster: identities.count > 1,
                              namingTimeline: namingTimeline, gaps: gaps)
    }

    /// The positions of `segments` to read for the query's times.
    private func selected(_ segments: [WALSegmentName], index: ArchiveIndex, query: IncidentQuery) throws -> Range<Int> {
        var range = segments.indices
        func position(of lsn: LSN) -> Int {
            segments.lastIndex { $0.startLSN(index.segmentSize) <= lsn } ?? 0
        }
        if let id = query.id {
            // The transaction's own records before its commit (the files it created, the rows it changed) lie in
            // the segments just before; a longer one is still found, with its rows counted from there.
            let commit = position(of: id.commitLSN)
            return max(0, commit - Self.incidentLeadSegments)..<(commit + 1)
        }
        guard query.since != nil || query.until != nil else { return range }
        let locator = ArchiveEventLocator(index: index)
        if let since = query.since {
            guard let first = try locator.stopEvent(for: .time(since), exclusive: true, in: segments) else { return 0..<0 }
            range = max(0, position(of: first.lsn) - Self.leadSegments)..<range.upperBound
        }
        if let until = query.until, let after = try locator.stopEvent(for: .time(until), exclusive: false, in: segments) {
            range = range.lowerBound..<max(range.lowerBound, min(range.upperBound, position(of: after.lsn) + 1))
        }
        return range
    }
}

extension IncidentFinder {
    /// The incident `id` (`<timeline>-<commit LSN in hex>`, as `incidents` lists it), found again by decoding the
    /// segments up to its commit; `IncidentError` when the id is malformed or names no incident.
    public func incident(id: String) throws -> Incident {
        let parts = id.split(separator: "-")
        guard parts.count == 2, let timeline = UInt32(parts[0]), timeline > 0, let lsn = UInt64(parts[1], radix: 16) else {
            throw IncidentError.malformedID(id)
        }
        var query = IncidentQuery(rowThreshold: 1)
        query.id = (TimelineID(timeline), LSN(rawValue: lsn))
        guard let incident = try find(query).incidents.first else { throw IncidentError.noSuchIncident(id) }
        return incident
    }
}

/// Why `restore --before-incident` found no incident.
public enum IncidentError: PITRError {
    case malformedID(String)
    case noSuchIncident(String)

    public var description: String {
        switch self {
        case .malformedID(let id):
            "incident id '\(id)' is not <timeline>-<commit LSN in hex>, as 'tailtown-pitr incidents' lists them"
        case .noSuchIncident(let id):
            "the archive holds no incident \(id): no DROP, TRUNCATE, DROP DATABASE, DELETE or UPDATE committed there; run 'tailtown-pitr incidents' to list them"
        }
    }
}

extension IncidentQuery {
    func matches(_ incident: Incident) -> Bool {
        if let since, incident.commitTime < since { return false }
        if let until, incident.commitTime > until { return false }
        if let table, !incident.tables.contains(where: { UInt32(table) == $0.file.number || $0.name?.qualified == table || $0.name?.table == table }) {
            return false
        }
        if let id, incident.timeline != id.timeline || incident.commitLSN != id.commitLSN { return false }
        return true
    }
}
