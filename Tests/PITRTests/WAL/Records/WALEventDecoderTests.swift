import Testing
@testable import PITRWAL

/// Records built field by field as PostgreSQL's xact.c and xloginsert.c write them.
@Suite struct WALEventDecoderTests {
    let time: Int64 = 849_000_000_123_456

    private func record(rmid: UInt8, info: UInt8, xid: UInt32 = 0, body: [UInt8]) -> [UInt8] {
        SyntheticWAL.record(rmid: rmid, info: info, xid: xid, body: body)
    }

    private func decode(_ record: [UInt8]) throws -> WALEventDecoder.Outcome {
        try record.withUnsafeBytes { try WALEventDecoder.decode($0, lsn: LSN(0x100), endLSN: LSN(0x200), majorVersion: 17) }
    }

    private func event(_ kind: WALEvent.Kind, xid: UInt32, subtransactions: [UInt32] = []) -> WALEventDecoder.Outcome {
        .event(WALEvent(kind: kind, lsn: LSN(0x100), endLSN: LSN(0x200), xid: xid, time: PostgresTimestamp(rawValue: time),
                        subtransactions: subtransactions))
    }

    /// xinfo parts in ParseCommitRecord's order: dbinfo, subxacts, relations, dropped stats (15+),
    /// invalidations, twophase (+ gid), origin.
    private func preparedData(xinfo: UInt32, droppedStats: Bool, invalidations: Bool, preparedXID: UInt32) -> [UInt8] {
        var data = SyntheticWAL.bytes(of: time) + SyntheticWAL.bytes(of: xinfo)
        data += SyntheticWAL.bytes(of: UInt32(5)) + SyntheticWAL.bytes(of: UInt32(1663))            // dbinfo
        data += SyntheticWAL.bytes(of: Int32(3)) + [UInt8](repeating: 9, count: 12)                 // 3 subxacts
        data += SyntheticWAL.bytes(of: Int32(2)) + [UInt8](repeating: 8, count: 24)                 // 2 relations
        if droppedStats { data += SyntheticWAL.bytes(of: Int32(2)) + [UInt8](repeating: 7, count: 24) }
        if invalidations { data += SyntheticWAL.bytes(of: Int32(4)) + [UInt8](repeating: 6, count: 64) }
        data += SyntheticWAL.bytes(of: preparedXID) + Array("gid-1\0".utf8)                         // twophase, gid
        data += [UInt8](repeating: 5, count: 16)                                                    // origin
        return data
    }

    @Test func commitPreparedReadsTheXIDBehindEveryPart() throws {
        // DBINFO | SUBXACTS | RELFILENODES | INVALS | TWOPHASE | ORIGIN | GID | DROPPED_STATS
        let xinfo: UInt32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x80 | 0x100
        let main = preparedData(xinfo: xinfo, droppedStats: true, invalidations: true, preparedXID: 4711)
        let commit = record(rmid: 1, info: 0x30 | 0x80, xid: 0, body: SyntheticWAL.mainDataHeader(main.count) + main)
        let subtransactions = [UInt32](repeating: 0x0909_0909, count: 3)
        #expect(try decode(commit) == event(.commit, xid: 4711, subtransactions: subtransactions))

        // ABORT PREPARED has no invalidations part, even when a stray flag says so.
        let abortMain = preparedData(xinfo: xinfo, droppedStats: true, invalidations: false, preparedXID: 4712)
        let abort = record(rmid: 1, info: 0x40 | 0x80, body: SyntheticWAL.mainDataHeader(abortMain.count) + abortMain)
        #expect(try decode(abort) == event(.abort, xid: 4712, subtransactions: subtransactions))

        // The dropped-stats part announced by 0x100 is read: without it the prepared xid is misplaced.
        let missing = preparedData(xinfo: xinfo, droppedStats: false, invalidations: true, preparedXID: 4713)
        let missingCommit = record(rmid: 1, info: 0x30 | 0x80, body: SyntheticWAL.mainDataHeader(missing.count) + missing)
        #expect((try? decode(missingCommit)) != event(.commit, xid: 4713))
    }

    @Test func plainCommitAndAbortTakeTheRecordXID() throws {
        let withInfo = SyntheticWAL.commitBody(time: time, extra: SyntheticWAL.bytes(of: UInt32(0x8)) + SyntheticWAL.bytes(of: Int32(0)))
        #expect(try decode(record(rmid: 1, info: 0x80, xid: 900, body: withInfo)) == event(.commit, xid: 900))
        #expect(try decode(record(rmid: 1, info: 0x20, xid: 901, body: SyntheticWAL.commitBody(time: time))) == event(.abort, xid: 901))
        // PREPARE, ASSIGNMENT and INVALIDATIONS records are no events.
        for info: UInt8 in [0x10, 0x50, 0x60] {
            #expect(try decode(record(rmid: 1, info: info, xid: 902, body: SyntheticWAL.commitBody(time: time))) == .other)
        }
    }

    /// XLOG_STANDBY_LOCK (standbydefs.h): int nlocks, then (xid, dbOid, relOid) per lock; RUNNING_XACTS is no lock record.
    @Test func standbyLockRecordsGiveTheirLocks() throws {
        let locks: [UInt32] = [900, 5, 16384, 901, 5, 16390]
        let main = SyntheticWAL.bytes(of: Int32(2)) + locks.flatMap { SyntheticWAL.bytes(of: $0) }
        #expect(try decode(record(rmid: 8, info: 0x00, body: SyntheticWAL.mainDataHeader(main.count) + main)) == .locks([
            StandbyLock(xid: 900, database: 5, relation: 16384, lsn: LSN(0x100)),
            StandbyLock(xid: 901, database: 5, relation: 16390, lsn: LSN(0x100)),
        ]))
        let short = SyntheticWAL.bytes(of: Int32(3)) + locks.flatMap { SyntheticWAL.bytes(of: $0) }
        #expect(throws: WALRecordBody.Malformed.self) { try decode(record(rmid: 8, info: 0x00, body: SyntheticWAL.mainDataHeader(short.count) + short)) }
        #expect(try decode(record(rmid: 8, info: 0x10, body: SyntheticWAL.mainDataHeader(main.count) + main)) == .other)
    }

    @Test func restorePointSwitchAndOtherRecords() throws {
        let point = record(rmid: 0, info: 0x70, body: SyntheticWAL.restorePointBody(time: time, name: "before-x"))
        #expect(try decode(point) == .event(WALEvent(kind: .restorePoint(name: "before-x"), lsn: LSN(0x100), endLSN: LSN(0x200),
                                                     xid: 0, time: PostgresTimestamp(rawValue: time))))
        #expect(try decode(record(rmid: 0, info: 0x40, body: [])) == .segmentSwitch)
        #expect(try decode(record(rmid: 0, info: 0x30, body: SyntheticWAL.mainDataOnly(count: 8))) == .other)    // XLOG_NEXTOID
        #expect(try decode(record(rmid: 10, info: 0x00, body: [1, 2, 3])) == .other)                            // heap: not looked into
    }

    /// CheckPoint and xl_end_of_recovery: the fields every major from 15 to 18 keeps at their start.
    @Test func checkpointsAndEndOfRecovery() throws {
        let checkpoint = SyntheticWAL.bytes(of: UInt64(0x3_0000_0028)) + SyntheticWAL.bytes(of: UInt32(2)) + SyntheticWAL.bytes(of: UInt32(1))
            + [UInt8](repeating: 0xAB, count: 72)
        for (info, online) in [(UInt8(0x00), false), (0x10, true)] {
            let body = SyntheticWAL.mainDataHeader(checkpoint.count) + checkpoint
            #expect(try decode(record(rmid: 0, info: info, body: body)) == .event(WALEvent(
                kind: .checkpoint(redo: LSN(0x3_0000_0028), timeline: TimelineID(2), previousTimeline: TimelineID(1), online: online),
                lsn: LSN(0x100), endLSN: LSN(0x200), xid: 0, time: PostgresTimestamp(rawValue: 0))))
        }
        let end = SyntheticWAL.bytes(of: time) + SyntheticWAL.bytes(of: UInt32(3)) + SyntheticWAL.bytes(of: UInt32(2)) + SyntheticWAL.bytes(of: Int32(1))
        #expect(try decode(record(rmid: 0, info: 0x90, body: SyntheticWAL.mainDataHeader(end.count) + end)) == .event(WALEvent(
            kind: .endOfRecovery(timeline: TimelineID(3), previousTimeline: TimelineID(2)),
            lsn: LSN(0x100), endLSN: LSN(0x200), xid: 0, time: PostgresTimestamp(rawValue: time))))
        for info: UInt8 in [0x00, 0x90] {
            #expect(throws: WALRecordBody.Malformed.self) { try decode(record(rmid: 0, info: info, body: SyntheticWAL.mainDataOnly(count: 12))) }
        }
    }

    /// Block headers before the main data: a full-page image with a hole, compressed (so with the
    /// 2-byte compression header), on a new relation, and a second block on the same relation with data.
    /// The compression flag is 0x04 (pglz), 0x08 (lz4) or 0x10 (zstd); 0x02 is BKPIMAGE_APPLY, no compression.
    @Test func blockHeadersAreSkippedForEachCompression() throws {
        for compressed: UInt8 in [0x04, 0x08, 0x10] {
            let image = [UInt8](repeating: 0xEE, count: 300)
            let data = [UInt8](repeating: 0xDD, count: 40)
            var headers: [UInt8] = [0, 0x10 | 0x20]                                  // block 0: HAS_IMAGE | HAS_DATA
            headers += SyntheticWAL.bytes(of: UInt16(data.count))
            headers += SyntheticWAL.bytes(of: UInt16(image.count)) + SyntheticWAL.bytes(of: UInt16(100)) + [0x01 | compressed]
            headers += SyntheticWAL.bytes(of: UInt16(7000))                          // hole length
            headers += [UInt8](repeating: 1, count: 12) + SyntheticWAL.bytes(of: UInt32(42))
            headers += [1, 0x20 | 0x80] + SyntheticWAL.bytes(of: UInt16(data.count)) + SyntheticWAL.bytes(of: UInt32(43))
            headers += [253, 1, 0]                                                   // origin
            headers += [252] + SyntheticWAL.bytes(of: UInt32(77))                    // top-level xid
            let main = SyntheticWAL.bytes(of: time)
            let body = headers + SyntheticWAL.mainDataHeader(main.count) + image + data + data + main
            let commit = record(rmid: 1, info: 0x00, xid: 1000, body: body)
            #expect(try decode(commit) == event(.commit, xid: 1000), "compression flag \(compressed)")
        }
    }

    @Test func malformedRecordsAreRefused() {
        // A main-data length beyond the record, an unknown block id, data without BKPBLOCK_HAS_DATA.
        let bodies: [[UInt8]] = [
            [255, 200] + SyntheticWAL.bytes(of: time),
            [99, 0, 0, 0],
            [0, 0x80] + SyntheticWAL.bytes(of: UInt16(4)) + SyntheticWAL.bytes(of: UInt32(1)) + [255, 8] + SyntheticWAL.bytes(of: time),
        ]
        for body in bodies {
            #expect(throws: WALRecordBody.Malformed.self) { try decode(record(rmid: 1, info: 0x00, xid: 5, body: body)) }
        }
        let shortRestorePoint = record(rmid: 0, info: 0x70, body: SyntheticWAL.mainDataOnly(count: 20))
        #expect(throws: WALRecordBody.Malformed.self) { try decode(shortRestorePoint) }
        let preparedWithoutTwoPhase = record(rmid: 1, info: 0x30 | 0x80, body: SyntheticWAL.commitBody(time: time, extra: SyntheticWAL.bytes(of: UInt32(0))))
        #expect(throws: WALRecordBody.Malformed.self) { try decode(preparedWithoutTwoPhase) }
    }
}
