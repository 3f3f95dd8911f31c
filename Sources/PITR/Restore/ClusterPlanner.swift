import PITRBackup
import PITRRepository
import PITRStorage
import PITRWAL

/// The planner over one cluster: a request against its archive's listing, timeline tree and backups.
/// `RestorePlanner` picks the cluster and runs this; this decides backup, timeline and stop point, and proves the WAL.
struct ClusterPlanner {
    let request: RestoreRequest
    let index: ArchiveIndex
    let tree: TimelineTree
    let locator: WALEventLocator
    /// The backups that may serve, oldest stop time first; only the named one with `--backup`.
    let backups: [BackupDescriptor]
    /// `--backup` named the only candidate: failures say why it cannot serve.
    let forced: Bool
    /// What restoring each backup downloads at most, by name: its chain's stored bytes (its own for a full backup).
    var chainStoredBytes: [String: Int] = [:]
    /// The WAL in archive storage classes is thawed, so the plan may decode it (the locks held at the stop).
    var archivedReadable = false

    /// Where a `.time`, `.xid` or `.name` target lies on the line of one timeline.
    struct Located {
        let timeline: TimelineID
        let event: WALEvent
        /// The timeline that wrote the event.
        let holder: TimelineID
    }

    /// A search for the target from `backup` on the line of `timeline` that must read `segments`, some of them in an
    /// archive storage class not known to be thawed: the target is placed once they are.
    struct ArchivedSearch: Error {
        let backup: BackupDescriptor
        let timeline: TimelineID
        /// Where the search's WAL ends; it starts at the backup's start.
        let end: LSN
        let segments: [WALSegmentName]
    }

    func plan() throws -> RestorePlan {
        if case .number(let timeline) = request.timeline, !tree.contains(timeline) {
            throw RestorePlanError.timelineNotFound(timeline, archive: archiveName, known: tree.timelines)
        }
        switch request.target {
        case .immediate:
            let backup = try newest(of: try onRequestedTimeline())
            return try build(backup, timeline: targetTimeline(from: backup), end: backup.stopLSN,
                             stop: .init(lsn: backup.stopLSN, time: nil, xid: nil))
        case .latest:
            return try planLatest(try newest(of: try onRequestedTimeline()))
        case .lsn(let target):
            return try planLSN(target)
        case .time, .xid, .name:
            return try planLocated()
        }
    }

    // MARK: Targets that need no WAL decoding to place

    private func planLatest(_ backup: BackupDescriptor) throws -> RestorePlan {
        let timeline = targetTimeline(from: backup)
        let coverage = try self.coverage(to: timeline)
        let path = coverage.path
        let stopSegment = lastSegment(of: backup)
        try coverage.prove(from: path.segmentNumber(backup.startLSN), through: max(stopSegment, coverage.lastArchived ?? stopSegment))
        let end = path.startLSN(ofSegment: max(stopSegment, coverage.lastArchived ?? stopSegment) + 1)
        // The newest commit is shown when the WAL after the backup can be read without a thaw.
        let tail = path.segments(from: backup.stopLSN, upTo: end)
        let newest = !archivedReadable && tail.contains(where: { inArchiveClass(.segment($0)) }) ? nil : try locator.newestEvent(in: tail)
        return try build(backup, timeline: timeline, end: end, stop: nil, newest: newest?.time)
    }

    private func planLSN(_ target: LSN) throws -> RestorePlan {
        let pool = try onRequestedTimeline()
        guard let backup = pool.last(where: { $0.stopLSN <= target }) else {
            if forced { throw cannotReach(pool[0], "it ends at \(pool[0].stopLSN), after the target LSN \(target)") }
            throw RestorePlanError.targetBeforeOldestBackup(target: "LSN \(target)", oldestRestorable: Self.describeEnd(of: pool[0]))
        }
        var timeline = targetTimeline(from: backup)
        if request.timeline == .automatic {
            let reaching = try lines(from: backup, reaching: target)
            let holders = Set(reaching.map(\.holder)).sorted()
            if holders.count > 1 { throw RestorePlanError.ambiguousTimeline(target: "LSN \(target)", timelines: holders) }
            // One line's WAL holds it: the newest line that reaches it (the newest timeline may end before it).
            timeline = reaching.last?.line ?? timeline
        }
        let coverage = try self.coverage(to: timeline)
        let targetSegment = coverage.path.segmentNumber(target)
        let last = coverage.lastArchived ?? 0
        if coverage.lastArchived == nil || last < targetSegment {
            try coverage.prove(from: coverage.path.segmentNumber(backup.startLSN), through: max(last, lastSegment(of: backup)))
            throw RestorePlanError.targetAfterArchivedWAL(target: "LSN \(target)", timeline: timeline,
                                                         newestRestorable: try newestRestorable(from: backup, coverage: coverage))
        }
        return try build(backup, timeline: timeline, end: LSN(target.rawValue + 1), stop: .init(lsn: target, time: nil, xid: nil))
    }

    /// The lines (target timelines) from `backup` whose archived WAL reaches `target`, ascending, each with the
    /// timeline that wrote `target` on it: more than one writer when the lines forked before it.
    private func lines(from backup: BackupDescriptor, reaching target: LSN) throws -> [(line: TimelineID, holder: TimelineID)] {
        try tree.descendants(of: backup.stopTimeline, at: backup.stopLSN).compactMap { line in
            let coverage = try self.coverage(to: line)
            guard let last = coverage.lastArchived, last >= coverage.path.segmentNumber(target) else { return nil }
            return (line, coverage.path.timeline(at: target))
        }
    }

    // MARK: Targets placed by the WAL event locator

    private func planLocated() throws -> RestorePlan {
        var pool = try onRequestedTimeline()
        if case .time(let time) = request.target {
            let ended = pool.filter { Self.ended($0, before: time) }
            guard !ended.isEmpty else {
                if forced { throw cannotReach(pool[0], "it ended at \(pool[0].stopTime.iso8601), not before the target") }
                throw RestorePlanError.targetBeforeOldestBackup(target: targetText, oldestRestorable: Self.describeEnd(of: pool[0]))
            }
            pool = ended
        }
        let timelines: [TimelineID]
        switch request.timeline {
        case .automatic, .latest:
            timelines = Set(pool.flatMap { tree.descendants(of: $0.stopTimeline, at: $0.stopLSN) }).sorted()
        case .current:
            timelines = [try newest(of: pool).timeline]
        case .number(let timeline):
            timelines = [timeline]
        }
        var found: [Located] = []
        var searches: [ArchivedSearch] = []
        var firstError: Error?
        for timeline in timelines.reversed() {
            do {
                found.append(try locate(after: pool.filter { leads($0, to: timeline) }, to: timeline))
            } catch let search as ArchivedSearch {
                searches.append(search)
            } catch {
                // The default timeline's gap is never hidden by an answer on an older fork.
                if found.isEmpty, firstError == nil, case RestorePlanError.walGap = error { throw error }
                firstError = firstError ?? error
            }
        }
        // Which line holds the target, and whether two do, is known only once every search could read its WAL.
        if let search = searches.first {
            var plan = try build(search.backup, timeline: search.timeline, end: search.end, stop: nil)
            var seen = Set<WALSegmentName>()
            plan.searchSegments = searches.flatMap(\.segments).filter { seen.insert($0).inserted }
            return plan
        }
        guard let chosen = found.first else { throw firstError ?? RestorePlanError.noBackupOnTimeline(timelines.last ?? TimelineID(1)) }
        let holders = Set(found.map { $0.holder })
        if holders.count > 1, request.timeline == .automatic {
            throw RestorePlanError.ambiguousTimeline(target: targetText, timelines: holders.sorted())
        }
        let event = chosen.event
        guard let backup = pool.last(where: { leads($0, to: chosen.timeline) && $0.stopLSN <= event.lsn }) else {
            if forced { throw cannotReach(pool[0], "it ends at \(pool[0].stopLSN), after the target's record at \(event.lsn)") }
            throw RestorePlanError.targetBeforeOldestBackup(target: targetText, oldestRestorable: Self.describeEnd(of: pool[0]))
        }
        return try build(backup, timeline: chosen.timeline, end: event.endLSN,
                         stop: .init(lsn: event.lsn, time: event.time, xid: event.xid == 0 ? nil : event.xid))
    }

    /// A time is searched after the newest backup that ended before it. An xid or a restore point
    /// can lie anywhere: after the newest backup first, then after each older one (the locator
    /// keeps what it decoded, so the WAL after the newer backup is not read twice).
    private func locate(after onLine: [BackupDescriptor], to timeline: TimelineID) throws -> Located {
        var notFound: Error = RestorePlanError.noBackupOnTimeline(timeline)
        for backup in onLine.reversed() {
            do {
                return try locate(from: backup, to: timeline)
            } catch let error as RestorePlanError where error.isNotFound {
                notFound = error
            }
        }
        throw notFound
    }

    /// Asks the locator for the stop event on the line of `timeline`, reading the archived WAL
    /// after `backup` up to the first gap; the backup's own WAL must be complete.
    private func locate(from backup: BackupDescriptor, to timeline: TimelineID) throws -> Located {
        let coverage = try self.coverage(to: timeline)
        let path = coverage.path
        let stopSegment = lastSegment(of: backup)
        let last = max(stopSegment, coverage.lastArchived ?? stopSegment)
        try coverage.prove(from: path.segmentNumber(backup.startLSN), through: stopSegment)
        let missing = coverage.firstMissing(from: stopSegment, through: last)
        let scanStart = path.segmentNumber(backup.stopLSN)
        let scanEnd = missing.map { $0 - 1 } ?? last
        let scan = scanStart <= scanEnd ? (scanStart...scanEnd).map(path.segment) : []
        // WAL in an archive class is read only once thawed: the target is looked for in what comes before it, else the
        // whole scan (backup's start on) is thawed first.
        if !archivedReadable, let firstArchived = scan.firstIndex(where: { inArchiveClass(.segment($0)) }) {
            if let event = try locator.stopEvent(for: request.target, exclusive: request.exclusive, in: Array(scan[..<firstArchived])) {
                return Located(timeline: timeline, event: event, holder: path.timeline(at: event.lsn))
            }
            let end = path.startLSN(ofSegment: scanEnd + 1)
            throw ArchivedSearch(backup: backup, timeline: timeline, end: end, segments: path.segments(from: backup.startLSN, upTo: end))
        }
        if let event = try locator.stopEvent(for: request.target, exclusive: request.exclusive, in: scan) {
            return Located(timeline: timeline, event: event, holder: path.timeline(at: event.lsn))
        }
        if let missing { throw coverage.gap(at: missing, through: last) }
        switch request.target {
        case .name(let name):
            throw RestorePlanError.unknownRestorePoint(name: name, timeline: timeline, after: backup.stopLSN)
        case .xid(let xid):
            throw RestorePlanError.transactionNotFound(xid: xid, timeline: timeline, after: backup.stopLSN)
        default:
            throw RestorePlanError.targetAfterArchivedWAL(target: targetText, timeline: timeline,
                                                         newestRestorable: try newestRestorable(from: backup, coverage: coverage))
        }
    }

    // MARK: The plan

    /// Proves every segment from the backup's start to `end` on the line of `timeline` and assembles the plan.
    private func build(_ backup: BackupDescriptor, timeline: TimelineID, end: LSN,
                       stop: RestorePlan.StopPoint?, newest: PostgresTimestamp? = nil) throws -> RestorePlan {
        guard leads(backup, to: timeline) else {
            throw cannotReach(backup, "timeline \(timeline) forked away from its timeline \(backup.stopTimeline) before its end at \(backup.stopLSN)")
        }
        let coverage = try self.coverage(to: timeline)
        let path = coverage.path
        let end = max(end, backup.stopLSN)
        try coverage.prove(from: path.segmentNumber(backup.startLSN), through: path.segmentNumber(LSN(end.rawValue - 1)))
        let segments = path.segments(from: backup.startLSN, upTo: end)
        let histories = path.timelines.filter { index.contains(.history($0)) }
        let files = segments.map { WALFileName.segment($0) } + histories.map { WALFileName.history($0) }
        // Finding the locks held at the stop decodes the WAL, which an archive class refuses until thawed.
        let walArchived = !archivedReadable && files.contains(where: inArchiveClass)
        let held = walArchived ? nil : try stop.flatMap { stop in
            try HeldLocks.find(segments: segments.count, scan: { try locator.scan($0, of: segments) },
                               replayed: { replays($0, stoppingAt: stop.lsn) })
        }
        return RestorePlan(request: request, backup: backup, targetTimeline: timeline,
                           path: path.stretches(from: backup.startLSN, upTo: end), segments: segments,
                           histories: histories, stop: stop, backupStoredBytes: chainStoredBytes[backup.name] ?? backup.storedBytes,
                           walStoredBytes: coverage.storedBytes(files), newestRestorableTime: newest, heldLocks: held)
    }

    /// Whether recovery replays the record at `lsn` before it stops at `stop`: it stops before the first commit after a
    /// time, after a restore point, before or after an xid's end or an LSN as `--exclusive` says, at a backup's end.
    private func replays(_ lsn: LSN, stoppingAt stop: LSN) -> Bool {
        switch request.target {
        case .time, .immediate: lsn < stop
        case .name, .latest: lsn <= stop
        case .xid, .lsn: request.exclusive ? lsn < stop : lsn <= stop
        }
    }

    // MARK: Backups and timelines

    /// The candidates on the line of `--timeline N`; all of them otherwise.
    private func onRequestedTimeline() throws -> [BackupDescriptor] {
        guard case .number(let timeline) = request.timeline else { return backups }
        let onLine = backups.filter { leads($0, to: timeline) }
        guard !onLine.isEmpty else {
            if forced { throw cannotReach(backups[0], "it is not on the history of timeline \(timeline)") }
            throw RestorePlanError.noBackupOnTimeline(timeline)
        }
        return onLine
    }

    private func newest(of pool: [BackupDescriptor]) throws -> BackupDescriptor {
        guard let backup = pool.last else { throw RestorePlanError.noBackups(repository: index.archive.repository.name) }
        return backup
    }

    /// The timeline recovery follows from `backup` when the target needs no decoding.
    private func targetTimeline(from backup: BackupDescriptor) -> TimelineID {
        switch request.timeline {
        case .automatic, .latest: tree.latest(from: backup.stopTimeline, at: backup.stopLSN)
        case .current: backup.timeline
        case .number(let timeline): timeline
        }
    }

    /// Whether recovery from `backup` can follow `timeline`: both its start (the checkpoint) and its
    /// end (the consistency point) lie on `timeline`'s line before the line leaves their timelines.
    private func leads(_ backup: BackupDescriptor, to timeline: TimelineID) -> Bool {
        tree.leads(from: backup.timeline, at: backup.startLSN, to: timeline)
            && tree.leads(from: backup.stopTimeline, at: backup.stopLSN, to: timeline)
    }

    private func coverage(to timeline: TimelineID) throws -> WALCoverage {
        guard let path = tree.path(to: timeline, segmentSize: index.segmentSize) else {
            throw RestorePlanError.timelineNotFound(timeline, archive: archiveName, known: tree.timelines)
        }
        return WALCoverage(index: index, path: path)
    }

    /// The segment holding the backup's last WAL byte (the end-of-backup record).
    private func lastSegment(of backup: BackupDescriptor) -> UInt64 {
        (max(backup.stopLSN.rawValue, 1) - 1) / index.segmentSize.bytes
    }

    /// The newest point recovery from `backup` can reach on the line, for messages.
    private func newestRestorable(from backup: BackupDescriptor, coverage: WALCoverage) throws -> String {
        let stopSegment = lastSegment(of: backup)
        let last = max(stopSegment, coverage.lastArchived ?? stopSegment)
        let available = (coverage.firstMissing(from: stopSegment, through: last)).map { $0 - 1 } ?? last
        let end = coverage.path.startLSN(ofSegment: available + 1)
        let scan = coverage.path.segments(from: backup.stopLSN, upTo: end)
        guard let event = try locator.newestEvent(in: scan) else {
            return "the end of the archived WAL at \(end), with no commit after \(Self.describeEnd(of: backup))"
        }
        return "\(event.time) (xid \(event.xid) at \(event.lsn)); the archived WAL ends at \(end)"
    }

    /// Whether the listing puts `file` in an archive storage class (a GET is refused until it is thawed).
    private func inArchiveClass(_ file: WALFileName) -> Bool {
        ArchiveClass(storageClass: index.files[file]?.storageClass) != nil
    }

    private var archiveName: String { index.archive.repository.storage.describe(index.archive.folder) }

    private var targetText: String { request.target.text }

    private func cannotReach(_ backup: BackupDescriptor, _ reason: String) -> RestorePlanError {
        .backupCannotReach(name: backup.name, reason: reason)
    }

    /// Whether every commit `backup` holds is at or before `time`: its stop moment (the server's clock
    /// after it ended) is. Older descriptors have whole seconds, rounded down: their stop second must have passed.
    static func ended(_ backup: BackupDescriptor, before time: PostgresTimestamp) -> Bool {
        if let moment = backup.stopMoment { return moment <= time }
        return PostgresTimestamp(unixSeconds: backup.stopTime.secondsSinceEpoch + 1) <= time
    }

    static func describeEnd(of backup: BackupDescriptor) -> String {
        "\(backup.stopMoment?.description ?? backup.stopTime.iso8601), at \(backup.stopLSN) (the end of backup \(backup.name))"
    }
}

private extension RestorePlanError {
    /// The xid or restore point is not in the WAL searched; an older backup may still find it.
    var isNotFound: Bool {
        switch self {
        case .unknownRestorePoint, .transactionNotFound: true
        default: false
        }
    }
}
