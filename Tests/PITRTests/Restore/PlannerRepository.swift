import Foundation
@testable import PITRBackup
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRSupport
@testable import PITRWAL

/// A `SyntheticRepository` as the planner tests state it: 1 MiB segments (short LSNs), history
/// switchpoints and backups given by LSN text, and a test locator answering for the records.
final class PlannerRepository {
    static let segmentSize: WALSegmentSize = {
        do { return try WALSegmentSize(megabytes: 1) } catch { fatalError("1 MiB is a valid segment size") }
    }()

    let synthetic: SyntheticRepository
    var repository: Repository { synthetic.repository }
    var identity: ClusterIdentity { synthetic.identity }

    init() throws {
        synthetic = try SyntheticRepository(segmentSize: Self.segmentSize)
    }

    /// Another cluster (`identity`) in `other`'s repository, as a pg_upgrade leaves it.
    init(beside other: PlannerRepository, identity: ClusterIdentity) throws {
        synthetic = try SyntheticRepository(storage: other.synthetic.storage, segmentSize: Self.segmentSize, identity: identity)
    }

    /// Archives segments `numbers` of `timeline` (a few bytes each).
    func archive(timeline: UInt32, _ numbers: ClosedRange<UInt64>) throws {
        try synthetic.addSegments(timeline: timeline, numbers)
    }

    /// Archives `<timeline>.history` with one line per ancestor.
    func archiveHistory(_ timeline: UInt32, _ lines: [(parent: UInt32, switchpoint: String)]) throws {
        let text = lines.map { "\($0.parent)\t\($0.switchpoint)\tno recovery target specified\n" }.joined()
        try synthetic.putWAL(.history(TimelineID(timeline)), Array(text.utf8))
    }

    func removeSegment(timeline: UInt32, _ number: UInt64) throws {
        try synthetic.storage.remove(synthetic.walKey(.segment(synthetic.segment(timeline, number))))
    }

    /// Writes a finished backup's descriptor (recording one stored object of `storedBytes`; incremental on `parent` when
    /// given), as backup-push does last.
    @discardableResult
    func addBackup(_ name: String, start: String, stop: String, stopTime: String, stopMoment: String? = nil, timeline: UInt32 = 1,
                   storedBytes: Int = 1000, parent: String? = nil) throws -> BackupDescriptor {
        guard let time = UTCTime(iso8601: stopTime) else { throw WALError.invalidTimestamp(stopTime, reason: "test") }
        let descriptor = BackupDescriptor(
            name: name, label: "test", startLSN: try LSN(parsing: start), stopLSN: try LSN(parsing: stop),
            startTime: UTCTime(secondsSinceEpoch: time.secondsSinceEpoch - 10), stopTime: time,
            stopMoment: try stopMoment.map { try PostgresTimestamp(parsing: $0) }, timeline: TimelineID(timeline), stopTimeline: TimelineID(timeline),
            systemIdentifier: identity.systemIdentifier, serverVersion: identity.majorVersion * 10000 + 4,
            segmentSize: Self.segmentSize.bytes, tablespaces: [], compression: .lz4, cipher: "none", keyID: "",
            objects: [.init(name: "base.tar.0000", archive: "base.tar", rawBytes: storedBytes * 3, storedBytes: storedBytes)],
            type: parent == nil ? .full : .incremental, parent: parent, detection: parent == nil ? nil : .summaries)
        try synthetic.putDescriptor(descriptor)
        return descriptor
    }

    func planner(_ locator: TestEventLocator = TestEventLocator()) -> RestorePlanner {
        RestorePlanner(repository: repository, locator: { _ in locator }, log: Log(level: .error))
    }
}

/// A hand-written `WALEventLocator` for unit tests only: each segment copy holds the events the
/// test puts there, and recovery stops as PostgreSQL does (first commit or abort after the time,
/// the xid's commit or abort, the named restore point). Records the segments it was asked to read.
final class TestEventLocator: WALEventLocator {
    private var events: [WALSegmentName: [WALEvent]] = [:]
    private(set) var searched: [[WALSegmentName]] = []

    /// Puts a commit (or a restore point when `point` is given) at `lsn` into segment copies of `timelines`.
    func add(_ lsn: String, time: String, xid: UInt32 = 0, point: String? = nil, on timelines: [UInt32] = [1]) {
        do {
            let at = try LSN(parsing: lsn)
            let event = WALEvent(kind: point.map { .restorePoint(name: $0) } ?? .commit, lsn: at, endLSN: LSN(at.rawValue + 0x20),
                                 xid: xid, time: try PostgresTimestamp(parsing: time))
            for timeline in timelines {
                let segment = WALSegmentName.segment(containing: at, timeline: TimelineID(timeline), segmentSize: PlannerRepository.segmentSize)
                events[segment, default: []].append(event)
                events[segment]?.sort { $0.lsn < $1.lsn }
            }
        } catch {
            fatalError("bad test event \(lsn) \(time): \(error)")
        }
    }

    func stopEvent(for target: RecoveryTarget, exclusive: Bool, in segments: [WALSegmentName]) throws -> WALEvent? {
        searched.append(segments)
        for event in segments.flatMap({ events[$0] ?? [] }) {
            switch (target, event.kind) {
            case (.time(let time), .commit), (.time(let time), .abort):
                if exclusive ? event.time >= time : event.time > time { return event }
            case (.xid(let xid), .commit), (.xid(let xid), .abort):
                if event.xid == xid { return event }
            case (.name(let name), .restorePoint(let point)):
                if name == point { return event }
            default:
                continue
            }
        }
        return nil
    }

    func newestEvent(in segments: [WALSegmentName]) throws -> WALEvent? {
        segments.flatMap { events[$0] ?? [] }.last
    }

    /// The segment's events; these segments log no locks.
    func scan(_ position: Int, of segments: [WALSegmentName]) throws -> WALScan {
        let held = events[segments[position]] ?? []
        return WALScan(events: held, firstRecordLSN: held.first?.lsn,
                       endLSN: held.last?.endLSN ?? segments[position].startLSN(PlannerRepository.segmentSize))
    }
}
