import Foundation
@testable import PITR

/// A real file:// repository in a temporary folder, filled with real objects (the object encoder,
/// the archive's info, backup descriptors) for planner tests. WAL segments hold a few bytes:
/// the planner only lists them, and the test locator answers for their records.
final class PlannerRepository {
    static let segmentSize: WALSegmentSize = {
        do { return try WALSegmentSize(megabytes: 1) } catch { fatalError("1 MiB is a valid segment size") }
    }()
    static let identity = ClusterIdentity(majorVersion: 15, systemIdentifier: 7_300_000_000_000_000_001)

    let root: String
    let repository: Repository
    let archive: WALArchive
    private let encoder: ObjectEncoder

    init(identity: ClusterIdentity = PlannerRepository.identity) throws {
        root = NSTemporaryDirectory() + "tailtown-planner-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        repository = Repository(storage: FileStorage(root: root), key: nil)
        try repository.checkEncryption()
        archive = WALArchive(repository: repository, identity: identity)
        try archive.checkSegmentSize(Self.segmentSize, file: "test")
        encoder = try ObjectEncoder(options: ObjectOptions(compression: .lz4))
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Archives segments `numbers` of `timeline` (a few bytes each).
    func archive(timeline: UInt32, _ numbers: ClosedRange<UInt64>) throws {
        for number in numbers {
            let name = WALSegmentName(timeline: TimelineID(timeline), number: number, segmentSize: Self.segmentSize)
            try store(archive.key(for: .segment(name)), Array("segment \(name)".utf8))
        }
    }

    /// Archives `<timeline>.history` with one line per ancestor.
    func archiveHistory(_ timeline: UInt32, _ lines: [(parent: UInt32, switchpoint: String)]) throws {
        let text = lines.map { "\($0.parent)\t\($0.switchpoint)\tno recovery target specified\n" }.joined()
        try store(archive.key(for: .history(TimelineID(timeline))), Array(text.utf8))
    }

    func removeSegment(timeline: UInt32, _ number: UInt64) throws {
        let name = WALSegmentName(timeline: TimelineID(timeline), number: number, segmentSize: Self.segmentSize)
        try repository.storage.remove(archive.key(for: .segment(name)))
    }

    /// Writes a finished backup's descriptor (and one stored object of `storedBytes`), as backup-push does last.
    @discardableResult
    func addBackup(_ name: String, start: String, stop: String, stopTime: String, timeline: UInt32 = 1,
                   storedBytes: Int = 1000, identity: ClusterIdentity = PlannerRepository.identity) throws -> BackupDescriptor {
        guard let time = UTCTime(iso8601: stopTime) else { throw WALError.invalidTimestamp(stopTime, reason: "test") }
        let descriptor = BackupDescriptor(
            name: name, label: "test", startLSN: try LSN(parsing: start), stopLSN: try LSN(parsing: stop),
            startTime: UTCTime(secondsSinceEpoch: time.secondsSinceEpoch - 10), stopTime: time,
            timeline: TimelineID(timeline), stopTimeline: TimelineID(timeline),
            systemIdentifier: identity.systemIdentifier, serverVersion: identity.majorVersion * 10000 + 4,
            segmentSize: Self.segmentSize.bytes, tablespaces: [], compression: .lz4, cipher: "none", keyID: "",
            objects: [.init(name: "base.tar.0000", archive: "base.tar", rawBytes: storedBytes * 3, storedBytes: storedBytes)])
        try store(BackupDescriptor.key(of: name), descriptor.text.bytes, encode: false)
        return descriptor
    }

    func planner(_ locator: TestEventLocator = TestEventLocator()) -> RestorePlanner {
        RestorePlanner(repository: repository, locator: { _ in locator }, log: Log(level: .error))
    }

    private func store(_ key: String, _ bytes: [UInt8], encode: Bool = true) throws {
        let upload = try repository.storage.startUpload(key)
        if encode {
            _ = try encoder.encode(from: MemorySource(bytes), to: upload)
        } else {
            try bytes.withUnsafeBytes { try upload.write($0) }
        }
        _ = try upload.commit(replace: true)
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
}
