@testable import PITRNative
@testable import PITRWAL

/// Writes WAL the way PostgreSQL lays it out, for tests: 1 MiB segments of 8 KiB pages, a long page
/// header at each segment start and short ones elsewhere, records MAXALIGNed, records that do not fit
/// continued on the next page behind XLP_FIRST_IS_CONTRECORD and xlp_rem_len, CRC-32C in every record.
/// Written independently of the scanner so that the two check each other.
struct SyntheticWAL {
    static let segmentSize = try! WALSegmentSize(megabytes: 1)
    static let pageSize = 8192
    let majorVersion: Int
    let firstSegment: WALSegmentName
    /// Every byte written, from the first segment's start.
    private(set) var bytes: [UInt8] = []
    /// Where the next record goes.
    private(set) var position = 0
    private(set) var lastRecord: LSN?

    init(majorVersion: Int = 15, firstSegmentNumber: UInt64 = 3) {
        self.majorVersion = majorVersion
        firstSegment = WALSegmentName(timeline: TimelineID(1), number: firstSegmentNumber, segmentSize: Self.segmentSize)
    }

    var base: UInt64 { firstSegment.startLSN(Self.segmentSize).rawValue }
    var segmentBytes: Int { Int(Self.segmentSize.bytes) }

    func lsn(_ offset: Int) -> LSN { LSN(base + UInt64(offset)) }

    /// Segment `index` (0 = the first), zero-filled past what was written.
    func segment(_ index: Int) -> [UInt8] {
        let start = index * segmentBytes
        var segment = Array(bytes[min(start, bytes.count)..<min(start + segmentBytes, bytes.count)])
        segment += [UInt8](repeating: 0, count: segmentBytes - segment.count)
        return segment
    }

    func name(_ index: Int) -> WALSegmentName {
        WALSegmentName(timeline: TimelineID(1), number: firstSegment.number(Self.segmentSize) + UInt64(index), segmentSize: Self.segmentSize)
    }

    /// Appends a record (xl_prev pointing at the previous one, CRC computed); returns its LSN.
    @discardableResult
    mutating func append(rmid: UInt8, info: UInt8, xid: UInt32 = 0, body: [UInt8]) -> LSN {
        var record = [UInt8](repeating: 0, count: 24)
        put(UInt32(24 + body.count), into: &record, at: 0)
        put(xid, into: &record, at: 4)
        put(lastRecord?.rawValue ?? 0, into: &record, at: 8)
        record[16] = info
        record[17] = rmid
        record += body
        var crc = CRC32C()
        record.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[24...])); crc.update(UnsafeRawBufferPointer(rebasing: $0[..<20])) }
        put(crc.value, into: &record, at: 20)
        return appendRaw(record)
    }

    /// Places `record` as is at the next MAXALIGNed position.
    @discardableResult
    mutating func appendRaw(_ record: [UInt8]) -> LSN {
        if position % Self.pageSize == 0 { writePageHeader(at: position, remaining: 0) }
        let start = lsn(position)
        var remaining = record[...]
        while !remaining.isEmpty {
            let pageEnd = (position / Self.pageSize + 1) * Self.pageSize
            let chunk = remaining.prefix(pageEnd - position)
            write(Array(chunk), at: position)
            position += chunk.count
            remaining = remaining.dropFirst(chunk.count)
            if !remaining.isEmpty { writePageHeader(at: position, remaining: remaining.count) }
        }
        position = (position + 7) & ~7
        lastRecord = start
        return start
    }

    /// An XLOG_SWITCH record; later pages of the segment get bare page headers, as PostgreSQL's do.
    mutating func appendSwitch() -> LSN {
        let lsn = append(rmid: 0, info: 0x40, body: [])
        let segmentEnd = (position / segmentBytes + 1) * segmentBytes
        var page = (position / Self.pageSize + 1) * Self.pageSize
        while page < segmentEnd {
            writePageHeader(at: page, remaining: 0)
            page += Self.pageSize
        }
        position = segmentEnd
        return lsn
    }

    /// A record of another resource manager (heap) whose total length is exactly `length` (>= 26).
    @discardableResult
    mutating func appendFiller(length: Int) -> LSN {
        let short = length - 26 < 256
        return append(rmid: 10, info: 0, body: Self.mainDataOnly(count: length - 24 - (short ? 2 : 5), long: !short))
    }

    /// Pads with one filler record so that the next record starts at `offset` (MAXALIGNed, at least 40 bytes on).
    mutating func fill(to offset: Int) {
        // Page headers the filler crosses take room too: find its length by simulating the layout.
        func end(ofLength length: Int) -> Int {
            var at = position % Self.pageSize != 0 ? position : position + (position % segmentBytes == 0 ? 40 : 24)
            var remaining = length
            while true {
                let room = (at / Self.pageSize + 1) * Self.pageSize - at
                if remaining <= room { return (at + remaining + 7) & ~7 }
                remaining -= room
                at += room + ((at + room) % segmentBytes == 0 ? 40 : 24)
            }
        }
        guard let length = stride(from: offset - position, through: 26, by: -1).first(where: { end(ofLength: $0) == offset }) else {
            preconditionFailure("no filler length lands on \(offset) from \(position)")
        }
        appendFiller(length: length)
        precondition(position == offset, "filler landed at \(position), wanted \(offset)")
    }

    mutating func writePageHeader(at offset: Int, remaining: Int) {
        let long = offset % segmentBytes == 0
        var header = [UInt8](repeating: 0, count: long ? 40 : 24)
        put(PostgreSQLMajor.pageMagic(of: majorVersion)!, into: &header, at: 0)
        put(UInt16((long ? 0x0002 : 0) | (remaining > 0 ? 0x0001 : 0)), into: &header, at: 2)
        put(UInt32(1), into: &header, at: 4)
        put(base + UInt64(offset), into: &header, at: 8)
        put(UInt32(remaining), into: &header, at: 16)
        if long {
            put(UInt64(7_000_000_000_000_000_001), into: &header, at: 24)
            put(UInt32(segmentBytes), into: &header, at: 32)
            put(UInt32(Self.pageSize), into: &header, at: 36)
        }
        write(header, at: offset)
        if offset == position { position += header.count }
    }

    mutating func write(_ data: [UInt8], at offset: Int) {
        if bytes.count < offset + data.count { bytes += [UInt8](repeating: 0, count: offset + data.count - bytes.count) }
        bytes.replaceSubrange(offset..<(offset + data.count), with: data)
    }

    // MARK: Record bodies

    /// A whole record: the 24-byte XLogRecord (length, xid, rmid, info; xl_prev and CRC left zero) and `body`.
    static func record(rmid: UInt8, info: UInt8, xid: UInt32 = 0, body: [UInt8]) -> [UInt8] {
        var record = [UInt8](repeating: 0, count: 24)
        put(UInt32(24 + body.count), into: &record, at: 0)
        put(xid, into: &record, at: 4)
        record[16] = info
        record[17] = rmid
        return record + body
    }

    /// A body with only main data (a short or long main-data header).
    static func mainDataOnly(count: Int, long: Bool = false) -> [UInt8] {
        let main = [UInt8](repeating: 0x5A, count: count)
        return mainDataHeader(count, long: long) + main
    }

    /// XLR_BLOCK_ID_DATA_SHORT with a 1-byte length, or (for 256 bytes and more, or when asked) _LONG.
    static func mainDataHeader(_ count: Int, long: Bool = false) -> [UInt8] {
        if count < 256, !long { return [255, UInt8(count)] }
        var header: [UInt8] = [254, 0, 0, 0, 0]
        put(UInt32(count), into: &header, at: 1)
        return header
    }

    static func commitBody(time: Int64, extra: [UInt8] = []) -> [UInt8] {
        let main = bytes(of: time) + extra
        return mainDataHeader(main.count) + main
    }

    static func restorePointBody(time: Int64, name: String) -> [UInt8] {
        var nameField = Array(name.utf8)
        nameField += [UInt8](repeating: 0, count: 64 - nameField.count)
        let main = bytes(of: time) + nameField
        return mainDataHeader(main.count) + main
    }

    static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

func put<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8], at offset: Int) {
    withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + $0.count), with: $0) }
}
