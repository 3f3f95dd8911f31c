@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

/// A data directory with just what wal-push and wal-fetch read (PG_VERSION, the start of
/// pg_control, pg_wal with archive_status) and 1 MiB WAL segments with real long page headers,
/// plus a file:// repository beside it. Removed with everything in it when released.
final class FakeDataDirectory {
    static let systemIdentifier: UInt64 = 7_400_000_000_000_000_001
    let root: String
    let segmentSize = WALSegmentSize.oneMiB
    var dataDirectory: String { root + "/data" }
    var wal: String { dataDirectory + "/pg_wal" }
    var repositoryRoot: String { root + "/repo" }
    let identity = ClusterIdentity(majorVersion: 15, systemIdentifier: FakeDataDirectory.systemIdentifier)

    init() throws {
        var template = Array("/tmp/tailtown-archive-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        root = String(cString: made!)
        try FileSystem.makeDirectories(wal + "/archive_status")
        try FileSystem.makeDirectories(dataDirectory + "/global")
        try write(dataDirectory + "/PG_VERSION", Array("15\n".utf8))
        var control = le(FakeDataDirectory.systemIdentifier) + le(UInt32(1300)) + le(UInt32(202_209_061))
        control += [UInt8](repeating: 0, count: 8192 - control.count)
        try write(dataDirectory + "/global/pg_control", control)
    }

    deinit { _ = system("rm -rf '\(root)'") }

    func repository(key: MasterKey? = nil) -> Repository {
        Repository(storage: FileStorage(root: repositoryRoot), key: key)
    }

    func name(_ number: UInt64, timeline: UInt32 = 1) -> WALSegmentName {
        WALSegmentName(timeline: TimelineID(timeline), number: number, segmentSize: .oneMiB)
    }

    /// Writes segment `number` into pg_wal (header timeline `headerTimeline`, default the name's), marked ready.
    @discardableResult
    func makeSegment(_ number: UInt64, timeline: UInt32 = 1, headerTimeline: UInt32? = nil, ready: Bool = true, seed: UInt8 = 0) throws -> String {
        let segment = name(number, timeline: timeline)
        var bytes = le(UInt16(0xD110)) + le(UInt16(0x0002)) + le(headerTimeline ?? timeline)
            + le(segment.startLSN(segmentSize).rawValue) + le(UInt32(0)) + le(UInt32(0))
            + le(FakeDataDirectory.systemIdentifier) + le(UInt32(segmentSize.bytes)) + le(UInt32(8192))
        var state = UInt32(number) &* 2_654_435_761 &+ UInt32(seed)
        while bytes.count < Int(segmentSize.bytes) {
            state = state &* 1_103_515_245 &+ 12_345
            bytes.append(UInt8(truncatingIfNeeded: state >> 16))
        }
        let path = wal + "/" + segment.fileName
        try FileSystem.remove(path)
        try write(path, bytes)
        if ready { try markReady(segment.fileName) }
        return path
    }

    func markReady(_ fileName: String) throws {
        try write(wal + "/archive_status/" + fileName + ".ready", [])
    }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        try FileSystem.remove(path)
        try SystemFile.createExclusive(path).write(bytes)
    }

    private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<T.bitWidth / 8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}

extension WALSegmentSize {
    /// 1 MiB, the smallest size initdb accepts.
    static let oneMiB = try! WALSegmentSize(bytes: 1 << 20)
}
