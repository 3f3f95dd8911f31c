import Testing
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRStorage
@testable import PITRWAL
import PITRSupport

/// The locator on a synthetic archive of 64 one-MiB segments: commits a second apart per segment,
/// one commit inserted 5 s after its time was taken, a run of idle segments, a long-running
/// transaction committing late, xids wrapping around 2^32, and a restore point.
/// (The xid search for the long-running transaction scans from where its xid was assigned to its
/// commit: its cost is the distance between the two, and the test prints the largest.)
@Suite struct ArchiveEventLocatorTests {
    static let segmentCount = 64
    let chain = try! SyntheticChain.make(segments: ArchiveEventLocatorTests.segmentCount)

    private func locator(slack: Int64 = ArchiveEventLocator.defaultSlackMicroseconds) -> ArchiveEventLocator {
        ArchiveEventLocator(index: chain.index, slackMicroseconds: slack)
    }

    /// Against a brute-force walk for every commit's time, just before and just after it, both ways.
    @Test func timeTargetsMatchABruteForceWalk() throws {
        let bound = Int(2 * log2(Double(Self.segmentCount))) + 3
        var most = 0
        let transactions = chain.events.filter { $0.kind == .commit || $0.kind == .abort }
        for event in transactions where event.xid % 3 == 0 || event.xid == chain.lateCommitXID {
            for time in [event.time.rawValue - 1, event.time.rawValue, event.time.rawValue + 1].map(PostgresTimestamp.init(rawValue:)) {
                for exclusive in [false, true] {
                    let expected = transactions.first { exclusive ? $0.time >= time : $0.time > time }
                    let search = locator(slack: 6_000_000)
                    #expect(try search.stopEvent(for: .time(time), exclusive: exclusive, in: chain.segments) == expected,
                            "time \(time) exclusive \(exclusive)")
                    most = max(most, search.downloads)
                }
            }
        }
        print("time searches over \(Self.segmentCount) segments, 6 s slack: at most \(most) downloads (bound \(bound))")
        #expect(most <= bound)
        // The late commit opens segment 40 with the time of segment 35. For a time inside segment 39,
        // a search without slack starts at segment 40 and misses the stop in 39; the slack finds it.
        let target = PostgresTimestamp(rawValue: chain.start + 39 * 1_000_000 + 150_000)
        let expected = transactions.first { $0.time > target }
        #expect(expected?.time.rawValue == chain.start + 39 * 1_000_000 + 200_000)
        #expect(try locator(slack: 0).stopEvent(for: .time(target), exclusive: false, in: chain.segments) != expected)
        #expect(try locator().stopEvent(for: .time(target), exclusive: false, in: chain.segments) == expected)
        // Before everything and after everything.
        #expect(try locator().stopEvent(for: .time(PostgresTimestamp(rawValue: 0)), exclusive: false, in: chain.segments) == transactions.first)
        let newest = try #require(transactions.map(\.time).max())
        #expect(try locator().stopEvent(for: .time(newest), exclusive: false, in: chain.segments) == nil)
    }

    @Test func transactionTargetsIncludingWraparoundAndALateCommit() throws {
        var most = 0
        for event in chain.events where event.kind != .restorePoint(name: "before-x") {
            let search = locator()
            #expect(try search.stopEvent(for: .xid(event.xid), exclusive: false, in: chain.segments) == event)
            most = max(most, search.downloads)
        }
        print("xid searches over \(Self.segmentCount) segments: at most \(most) downloads")
        #expect(chain.events.contains { $0.xid < 100 } && chain.events.contains { $0.xid > 4_294_967_000 }, "the xids wrap around")
        #expect(try locator().stopEvent(for: .xid(2_000_000_000), exclusive: false, in: chain.segments) == nil)
        #expect(ArchiveEventLocator.precedes(4_294_967_290, 5))
        #expect(!ArchiveEventLocator.precedes(5, 4_294_967_290))
    }

    @Test func restorePointNewestEventAndOtherTargets() throws {
        let point = try #require(chain.events.first { $0.kind == .restorePoint(name: "before-x") })
        let search = locator()
        #expect(try search.stopEvent(for: .name("before-x"), exclusive: false, in: chain.segments) == point)
        let position = try #require(chain.segments.firstIndex(of: WALSegmentName.segment(containing: point.lsn, timeline: TimelineID(1), segmentSize: SyntheticWAL.segmentSize)))
        #expect(search.downloads == position + 1, "a forward scan, the prefetched next segment unused")
        #expect(try locator().stopEvent(for: .name("missing"), exclusive: false, in: chain.segments) == nil)

        let newest = locator()
        #expect(try newest.newestEvent(in: chain.segments) == chain.events.last)
        #expect(newest.downloads == SyntheticChain.idleAtTheEnd + 1)
        #expect(try locator().newestEvent(in: []) == nil)
        #expect(try locator().stopEvent(for: .time(PostgresTimestamp(rawValue: 0)), exclusive: false, in: []) == nil)
        for target in [RecoveryTarget.lsn(LSN(1)), .latest, .immediate] {
            #expect(throws: WALRecordError.self) { try locator().stopEvent(for: target, exclusive: false, in: chain.segments) }
        }
    }
}

/// The synthetic archive: a file:// repository in /tmp holding the chain's segments, lz4-compressed.
final class SyntheticChain {
    static let idleAtTheEnd = 3
    let root: String
    let index: ArchiveIndex
    let segments: [WALSegmentName]
    let events: [WALEvent]
    let lateCommitXID: UInt32
    /// The time of the first commit of segment 0; segment k's commits follow k seconds later.
    let start: Int64 = 849_000_000_000_000

    private init(root: String, index: ArchiveIndex, segments: [WALSegmentName], events: [WALEvent], lateCommitXID: UInt32) {
        self.root = root
        self.index = index
        self.segments = segments
        self.events = events
        self.lateCommitXID = lateCommitXID
    }

    deinit { _ = system("rm -rf '\(root)'") }

    static func make(segments count: Int) throws -> SyntheticChain {
        let root = "/tmp/tailtown-locator-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let repository = Repository(storage: FileStorage(root: root), key: nil)
        let identity = ClusterIdentity(majorVersion: 15, systemIdentifier: 7_000_000_000_000_000_001)
        let archive = WALArchive(repository: repository, identity: identity)
        try archive.checkKeyAndSegmentSize(SyntheticWAL.segmentSize, file: "synthetic")

        var wal = SyntheticWAL()
        var events: [WALEvent] = []
        var xid: UInt32 = 4_294_967_000
        let start: Int64 = 849_000_000_000_000   // as `start` above
        let longRunningXID = xid &+ 49
        var lateCommitXID: UInt32 = 0
        func commit(_ xid: UInt32, at time: Int64) {
            let lsn = wal.append(rmid: 1, info: 0x00, xid: xid, body: SyntheticWAL.commitBody(time: time))
            events.append(WALEvent(kind: .commit, lsn: lsn, endLSN: wal.lsn(wal.position), xid: xid, time: PostgresTimestamp(rawValue: time)))
        }
        for segment in 0..<count {
            let second = start + Int64(segment) * 1_000_000
            let idle = (10..<15).contains(segment) || segment >= count - idleAtTheEnd
            if !idle {
                if segment == 40 {
                    // Inserted 5 s after its commit time was taken, and first in its segment.
                    xid = xid &+ 1
                    lateCommitXID = xid
                    commit(xid, at: second - 5_000_000)
                }
                for step in 0..<5 {
                    xid = xid &+ 7
                    if xid < 3 { xid = 3 }
                    if xid == longRunningXID { xid = xid &+ 1 }
                    commit(xid, at: second + Int64(step) * 100_000)
                }
                if segment == 45 { commit(longRunningXID, at: second + 600_000) }
                if segment == 50 {
                    let lsn = wal.append(rmid: 0, info: 0x70, body: SyntheticWAL.restorePointBody(time: second + 700_000, name: "before-x"))
                    events.append(WALEvent(kind: .restorePoint(name: "before-x"), lsn: lsn, endLSN: wal.lsn(wal.position), xid: 0,
                                           time: PostgresTimestamp(rawValue: second + 700_000)))
                }
            }
            _ = wal.appendSwitch()
        }
        var names: [WALSegmentName] = []
        for position in 0..<count {
            let name = wal.name(position)
            let upload = try repository.storage.startUpload(archive.key(for: .segment(name)))
            _ = try ObjectEncoder(options: ObjectOptions(compression: .lz4)).encode(from: MemorySource(wal.segment(position)), to: upload,
                                                                                   as: archive.objectIdentity(of: .segment(name)))
            _ = try upload.commit()
            names.append(name)
        }
        let index = try ArchiveIndex.load(repository: repository, identity: identity)
        return SyntheticChain(root: root, index: index, segments: names, events: events, lateCommitXID: lateCommitXID)
    }
}
