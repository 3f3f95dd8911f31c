import Testing
@testable import PITRNative
@testable import PITRWAL

@Suite struct WALRecordScannerTests {
    let scanner = WALRecordScanner(segmentSize: SyntheticWAL.segmentSize, majorVersion: 15)
    let t0: Int64 = 849_000_000_000_000

    private func commit(_ wal: inout SyntheticWAL, xid: UInt32, time: Int64) -> WALEvent {
        let lsn = wal.append(rmid: 1, info: 0x00, xid: xid, body: SyntheticWAL.commitBody(time: time))
        return WALEvent(kind: .commit, lsn: lsn, endLSN: wal.lsn(wal.position), xid: xid, time: PostgresTimestamp(rawValue: time))
    }

    private func scan(_ wal: SyntheticWAL, segment index: Int = 0, following: Bool = true) throws -> WALScan {
        var next = index + 1
        return try scanner.scan(segment: wal.name(index), bytes: wal.segment(index)) {
            guard following, next * wal.segmentBytes < wal.bytes.count else { return nil }
            defer { next += 1 }
            return wal.segment(next)
        }
    }

    @Test func commitsAbortsAndRestorePointsInOnePage() throws {
        var wal = SyntheticWAL()
        wal.appendFiller(length: 100)
        let first = commit(&wal, xid: 700, time: t0)
        let abortLSN = wal.append(rmid: 1, info: 0x20, xid: 701, body: SyntheticWAL.commitBody(time: t0 + 5))
        let abort = WALEvent(kind: .abort, lsn: abortLSN, endLSN: wal.lsn(wal.position), xid: 701, time: PostgresTimestamp(rawValue: t0 + 5))
        let pointLSN = wal.append(rmid: 0, info: 0x70, body: SyntheticWAL.restorePointBody(time: t0 + 9, name: "before-x"))
        let point = WALEvent(kind: .restorePoint(name: "before-x"), lsn: pointLSN, endLSN: wal.lsn(wal.position), xid: 0, time: PostgresTimestamp(rawValue: t0 + 9))
        wal.appendFiller(length: 60)
        let result = try scan(wal)
        #expect(result.events == [first, abort, point])
        #expect(result.firstRecordLSN == wal.lsn(40))
        #expect(result.endLSN == wal.lsn(wal.position), "the zeroed rest of the segment ends the WAL quietly")
    }

    /// A record that crosses a page, and one whose 24-byte header itself is split by a page header.
    @Test func recordsCrossingPagesAndSplitHeaders() throws {
        var wal = SyntheticWAL()
        wal.appendFiller(length: 20_000)
        let afterBigOne = commit(&wal, xid: 800, time: t0)
        wal.fill(to: 3 * SyntheticWAL.pageSize - 8)
        let splitHeader = commit(&wal, xid: 801, time: t0 + 1)
        #expect(splitHeader.lsn == wal.lsn(3 * SyntheticWAL.pageSize - 8))
        wal.fill(to: 5 * SyntheticWAL.pageSize - 16)
        let splitData = commit(&wal, xid: 802, time: t0 + 2)
        let result = try scan(wal)
        #expect(result.events == [afterBigOne, splitHeader, splitData])
    }

    /// A record ending exactly at a page end: the next one starts behind the next page's header.
    @Test func recordEndingAtAPageBoundary() throws {
        var wal = SyntheticWAL()
        wal.fill(to: SyntheticWAL.pageSize - 40)
        wal.appendFiller(length: 40)
        #expect(wal.position == SyntheticWAL.pageSize)
        let next = commit(&wal, xid: 900, time: t0)
        #expect(next.lsn == wal.lsn(SyntheticWAL.pageSize + 24))
        #expect(try scan(wal).events == [next])
    }

    /// The record crossing into the next segment belongs to this segment's scan when the next
    /// segment is given; without it the scan stops before it. The next segment's scan skips its tail.
    @Test func recordCrossingIntoTheNextSegment() throws {
        var wal = SyntheticWAL()
        let before = commit(&wal, xid: 10, time: t0)
        wal.fill(to: wal.segmentBytes - 16)
        let crossing = commit(&wal, xid: 11, time: t0 + 1)
        let after = commit(&wal, xid: 12, time: t0 + 2)

        let withNext = try scan(wal)
        #expect(withNext.events == [before, crossing])
        #expect(withNext.endLSN == crossing.endLSN)
        #expect(crossing.endLSN.rawValue > wal.name(1).startLSN(SyntheticWAL.segmentSize).rawValue)

        let withoutNext = try scan(wal, following: false)
        #expect(withoutNext.events == [before])
        #expect(withoutNext.endLSN == crossing.lsn, "the scan ends where the incomplete record starts")

        let second = try scan(wal, segment: 1)
        #expect(second.events == [after])
        #expect(second.firstRecordLSN == after.lsn)
    }

    /// A COMMIT PREPARED record of 1.5 MiB (400,000 subtransactions) spans three 1 MiB segments: the
    /// scan asks for two more, and the middle segment holds nothing but its continuation.
    @Test func recordLongerThanASegment() throws {
        var wal = SyntheticWAL()
        wal.fill(to: wal.segmentBytes - 4096)
        let subtransactions = 400_000
        var extra = SyntheticWAL.bytes(of: UInt32(0x12))            // xinfo: SUBXACTS | TWOPHASE
        extra += SyntheticWAL.bytes(of: Int32(subtransactions))
        extra += [UInt8](repeating: 7, count: 4 * subtransactions)
        extra += SyntheticWAL.bytes(of: UInt32(4242))
        let lsn = wal.append(rmid: 1, info: 0x30 | 0x80, xid: 0, body: SyntheticWAL.commitBody(time: t0, extra: extra))
        let end = wal.lsn(wal.position)
        let after = commit(&wal, xid: 4300, time: t0 + 1)
        #expect(wal.bytes.count > 2 * wal.segmentBytes)

        let first = try scan(wal)
        #expect(first.events == [WALEvent(kind: .commit, lsn: lsn, endLSN: end, xid: 4242, time: PostgresTimestamp(rawValue: t0),
                                          subtransactions: Array(repeating: 0x0707_0707, count: subtransactions))])
        let middle = try scan(wal, segment: 1)
        #expect(middle.events.isEmpty && middle.firstRecordLSN == nil)
        #expect(middle.endLSN == wal.name(2).startLSN(SyntheticWAL.segmentSize))
        #expect(try scan(wal, segment: 2).events == [after])
    }

    /// After XLOG_SWITCH the rest of the segment is padding, even where it looks like records.
    @Test func switchEndsTheSegment() throws {
        var wal = SyntheticWAL()
        let before = commit(&wal, xid: 20, time: t0)
        _ = wal.appendSwitch()
        #expect(wal.position == wal.segmentBytes)
        // Plant a valid-looking record in the padding: the scan must not see it.
        var decoy = wal
        decoy.write(decoy.segment(0)[40..<200].map { $0 }, at: 5 * SyntheticWAL.pageSize + 24)
        let next = commit(&wal, xid: 21, time: t0 + 1)
        let result = try scan(wal)
        #expect(result.events == [before])
        #expect(result.endLSN == wal.name(1).startLSN(SyntheticWAL.segmentSize))
        #expect(try scan(decoy).events == [before])
        #expect(try scan(wal, segment: 1).events == [next])
    }

    /// A bad CRC with only zeros after it is the torn end of the WAL: the scan stops quietly.
    /// The same damage with valid WAL pages after it is corruption: the scan names segment and LSN.
    @Test func badCRCAtTheEndStopsAndInTheMiddleThrows() throws {
        var wal = SyntheticWAL()
        let good = commit(&wal, xid: 30, time: t0)
        let damaged = commit(&wal, xid: 31, time: t0 + 1)
        var torn = wal
        let offset = Int(damaged.lsn.rawValue - wal.base) + 24
        torn.write([wal.bytes[offset] ^ 0x01], at: offset)
        let tornScan = try scan(torn)
        #expect(tornScan.events == [good])
        #expect(tornScan.endLSN == good.endLSN)

        wal.appendFiller(length: 3 * SyntheticWAL.pageSize)
        _ = commit(&wal, xid: 32, time: t0 + 2)
        wal.write([wal.bytes[offset] ^ 0x01], at: offset)
        let error = #expect(throws: WALRecordError.self) { try scan(wal) }
        #expect(error == .corruptRecord(segment: wal.name(0).fileName, lsn: damaged.lsn,
                                        reason: error.flatMap { if case .corruptRecord(_, _, let reason) = $0 { reason } else { nil } } ?? ""))
        #expect(error?.description.contains(wal.name(0).fileName) == true)
        #expect(error?.description.contains(damaged.lsn.description) == true)
    }

    /// A page header that does not continue the record it should (wrong xlp_rem_len) in the middle of
    /// a segment is corruption; an xl_prev that does not point back is too.
    @Test func brokenContinuationAndWrongPreviousPointerThrow() throws {
        var wal = SyntheticWAL()
        wal.fill(to: SyntheticWAL.pageSize - 16)
        let crossing = commit(&wal, xid: 40, time: t0)
        wal.appendFiller(length: 3 * SyntheticWAL.pageSize)
        var broken = wal
        broken.write(SyntheticWAL.bytes(of: UInt32(999)), at: SyntheticWAL.pageSize + 16)
        #expect(throws: WALRecordError.corruptRecord(segment: wal.name(0).fileName, lsn: crossing.lsn,
                                                     reason: "the page at \(wal.lsn(SyntheticWAL.pageSize)) says 999 bytes of the record remain, not 18")) {
            try scan(broken)
        }

        var wrongPrevious = SyntheticWAL()
        _ = commit(&wrongPrevious, xid: 41, time: t0)
        let second = commit(&wrongPrevious, xid: 42, time: t0 + 1)
        wrongPrevious.appendFiller(length: 3 * SyntheticWAL.pageSize)
        // Rewrite the second record with a wrong xl_prev and a matching CRC: only xl_prev is wrong.
        let offset = Int(second.lsn.rawValue - wrongPrevious.base)
        var record = Array(wrongPrevious.bytes[offset..<(offset + 34)])
        put(UInt64(12345), into: &record, at: 8)
        var crc = CRC32C()
        record.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[24...])); crc.update(UnsafeRawBufferPointer(rebasing: $0[..<20])) }
        put(crc.value, into: &record, at: 20)
        wrongPrevious.write(record, at: offset)
        #expect(throws: WALRecordError.self) { try scan(wrongPrevious) }
    }

    @Test func segmentsThatHoldNoWAL() throws {
        let zeros = [UInt8](repeating: 0, count: Int(SyntheticWAL.segmentSize.bytes))
        let empty = try scanner.scan(segment: SyntheticWAL().name(0), bytes: zeros) { nil }
        #expect(empty == WALScan(events: [], firstRecordLSN: nil, endLSN: SyntheticWAL().name(0).startLSN(SyntheticWAL.segmentSize)))

        var wal = SyntheticWAL()
        _ = commit(&wal, xid: 50, time: t0)
        // A recycled segment: an older segment's bytes under a newer name.
        let recycled = try scanner.scan(segment: wal.name(5), bytes: wal.segment(0)) { nil }
        #expect(recycled.events.isEmpty)
        // Another version's WAL, or not WAL at all.
        let other = WALRecordScanner(segmentSize: SyntheticWAL.segmentSize, majorVersion: 16)
        #expect(throws: WALRecordError.self) { try other.scan(segment: wal.name(0), bytes: wal.segment(0)) { nil } }
        for unsupported in [14, 19] {
            #expect(throws: WALRecordError.unsupportedVersion(unsupported)) {
                try WALRecordScanner(segmentSize: SyntheticWAL.segmentSize, majorVersion: unsupported).scan(segment: wal.name(0), bytes: wal.segment(0)) { nil }
            }
        }
        #expect(throws: WALRecordError.self) { try scanner.scan(segment: wal.name(0), bytes: [1, 2, 3]) { nil } }
    }

    /// Prints the scanning rate; run by `make bench` (section micro), skipped by `make test` for its name.
    @Test func decodingSpeedBenchmark() throws {
        var wal = SyntheticWAL()
        var xid: UInt32 = 1000
        while wal.position < wal.segmentBytes - 300 {
            _ = commit(&wal, xid: xid, time: t0 + Int64(xid))
            wal.appendFiller(length: 100 + Int(xid % 200))
            xid += 1
        }
        let segment = wal.segment(0)
        let clock = ContinuousClock()
        var count = 0
        let elapsed = clock.measure {
            for _ in 0..<16 { count = (try? scanner.scan(segment: wal.name(0), bytes: segment) { nil })?.events.count ?? -1 }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(count == Int(xid - 1000) || count == Int(xid - 1001))
        print("scanner: 16 MiB of small records (\(count * 16) commits) in \(Int(seconds * 1000)) ms, \(Int(16 / seconds)) MiB/s")
    }
}
