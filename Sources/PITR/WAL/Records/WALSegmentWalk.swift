import PITRNative
import PITRSupport

/// One run of `WALRecordScanner` over one segment (and, for a record that crosses its end, the
/// start of the next). Offsets count bytes from the start of the scanned segment.
final class WALSegmentWalk {
    private struct Page {
        let info: UInt16
        let remainingLength: Int
        let headerSize: Int
    }

    private enum Gathered {
        /// `inPlace`: the record lies within one page and was not copied.
        case complete(end: Int, inPlace: Bool)
        /// The bytes given end inside the record.
        case incomplete
        /// The record cannot be reassembled: `page` does not continue it.
        case broken(page: Int, reason: String)
        /// The record was abandoned at a crash and `page` begins new WAL (XLP_FIRST_IS_OVERWRITE_CONTRECORD).
        case overwritten(page: Int)
    }

    private let segment: WALSegmentName
    private let base: UInt64
    private let segmentBytes: Int
    private let magic: UInt16
    private let majorVersion: Int
    private var blockSize = 8192
    private var segments: [[UInt8]]
    private let next: () throws -> [UInt8]?
    private var nextExhausted = false
    /// Called with every valid record (its bytes and start LSN), when given.
    private let visit: ((UnsafeRawBufferPointer, LSN) throws -> Void)?

    init(segment: WALSegmentName, bytes: [UInt8], segmentSize: WALSegmentSize, magic: UInt16, majorVersion: Int,
         next: @escaping () throws -> [UInt8]?, visit: ((UnsafeRawBufferPointer, LSN) throws -> Void)? = nil) {
        self.segment = segment
        self.base = segment.startLSN(segmentSize).rawValue
        self.segmentBytes = Int(segmentSize.bytes)
        self.magic = magic
        self.majorVersion = majorVersion
        self.segments = [bytes]
        self.next = next
        self.visit = visit
    }

    func run() throws -> WALScan {
        let first = segments[0]
        guard first.count >= WALFormat.longPageHeaderSize else {
            throw WALRecordError.notASegment(segment: segment.fileName, reason: "it is only \(first.count) bytes")
        }
        // A segment PostgreSQL created ahead of time but never wrote to holds only zeros.
        if first[0..<WALFormat.longPageHeaderSize].allSatisfy({ $0 == 0 }) {
            return WALScan(events: [], firstRecordLSN: nil, endLSN: LSN(base))
        }
        let header = try WALPageHeader(bytes: first, file: segment.fileName)
        guard header.magic == magic else {
            throw WALRecordError.notASegment(segment: segment.fileName, reason: "its page magic 0x\(Hex.format(header.magic, width: 4)) is not PostgreSQL \(majorVersion)'s 0x\(Hex.format(magic, width: 4))")
        }
        // A recycled segment in pg_wal keeps an older segment's bytes until it is written again.
        if header.isLong, header.pageAddress.rawValue < base, header.pageAddress.rawValue % UInt64(segmentBytes) == 0 {
            return WALScan(events: [], firstRecordLSN: nil, endLSN: LSN(base))
        }
        guard header.isLong, header.pageAddress.rawValue == base, Int(header.segmentSizeBytes) == segmentBytes else {
            throw WALRecordError.notASegment(segment: segment.fileName, reason: "its first page header does not describe a \(segmentBytes >> 20) MiB segment starting at \(LSN(base))")
        }
        let size = Int(header.blockSize)
        guard size >= 1024, size <= 65536, size & (size - 1) == 0, segmentBytes % size == 0 else {
            throw WALRecordError.notASegment(segment: segment.fileName, reason: "its WAL block size \(size) is not a power of two from 1 KiB to 64 KiB")
        }
        blockSize = size
        var start = WALFormat.longPageHeaderSize
        if header.info & WALFormat.firstIsContinuation != 0 {
            start = try skipContinuation(from: start, remaining: Int(header.remainingLength))
        }
        return try records(from: start)
    }

    // MARK: Records

    private func records(from start: Int) throws -> WALScan {
        var offset = start
        var end = min(start, segmentBytes)
        var events: [WALEvent] = []
        var locks: [StandbyLock] = []
        var firstRecord: LSN?
        var previous: UInt64?
        var record: [UInt8] = []
        record.reserveCapacity(2 * blockSize)

        scanning: while offset < segmentBytes {
            if offset % blockSize == 0 {
                guard let page = try page(at: offset) else {
                    try endOfWAL(record: offset, checkingFrom: offset + blockSize, reason: "the page at \(LSN(base + UInt64(offset))) is not a valid WAL page")
                    break
                }
                guard page.info & WALFormat.firstIsContinuation == 0 else {
                    try endOfWAL(record: offset, checkingFrom: offset + blockSize, reason: "the page continues a record that does not exist")
                    break
                }
                offset += page.headerSize
            }
            guard try available(offset, count: 4) else { break }
            let length = Int(load32(at: offset))
            guard length >= WALFormat.recordHeaderSize else {
                let reason = length == 0 ? "the record length is zero" : "the record length \(length) is shorter than a record header"
                try endOfWAL(record: offset, checkingFrom: pageStart(after: offset), reason: reason)
                break
            }
            switch try gather(from: offset, length: length, into: &record) {
            case .incomplete:
                break scanning
            case .broken(let page, let reason):
                try endOfWAL(record: offset, checkingFrom: page, reason: reason)
                break scanning
            case .overwritten(let page):
                offset = page
                previous = nil
                continue scanning
            case .complete(let recordEnd, let inPlace):
                let lsn = LSN(base + UInt64(offset))
                let aligned = WALFormat.align(recordEnd)
                let examined = try withRecord(at: offset, length: length, inPlace: inPlace, assembled: record) {
                    try examine($0, lsn: lsn, endLSN: LSN(base + UInt64(aligned)), previous: previous)
                }
                guard case .valid(let outcome) = examined else {
                    if case .invalid(let reason) = examined {
                        try endOfWAL(record: offset, checkingFrom: pageStart(after: recordEnd - 1), reason: reason)
                    }
                    break scanning
                }
                firstRecord = firstRecord ?? lsn
                previous = lsn.rawValue
                offset = aligned
                end = aligned
                switch outcome {
                case .event(let event):
                    events.append(event)
                case .locks(let taken):
                    locks += taken
                case .segmentSwitch:
                    end = segmentBytes
                    break scanning
                case .other:
                    break
                }
            }
        }
        return WALScan(events: events, firstRecordLSN: firstRecord, endLSN: LSN(base + UInt64(end)), locks: locks)
    }

    private enum Examined {
        case valid(WALEventDecoder.Outcome)
        case invalid(String)
    }

    /// Checks a whole record as `ValidXLogRecord` does (CRC-32C of everything after the header, then
    /// of the header up to xl_crc) and its xl_prev, then decodes it.
    private func examine(_ record: UnsafeRawBufferPointer, lsn: LSN, endLSN: LSN, previous: UInt64?) throws -> Examined {
        var crc = CRC32C()
        crc.update(UnsafeRawBufferPointer(rebasing: record[WALFormat.recordHeaderSize...]))
        crc.update(UnsafeRawBufferPointer(rebasing: record[..<WALFormat.crcOffset]))
        let stored = record.loadUnaligned(fromByteOffset: WALFormat.crcOffset, as: UInt32.self)
        guard crc.value == stored else {
            return .invalid("its CRC-32C is \(Hex.format(crc.value, width: 8)) but the record says \(Hex.format(stored, width: 8))")
        }
        let prior = record.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        if let previous, prior != previous {
            return .invalid("its xl_prev \(LSN(prior)) is not the previous record \(LSN(previous))")
        }
        do {
            let outcome = try WALEventDecoder.decode(record, lsn: lsn, endLSN: endLSN, majorVersion: majorVersion)
            try visit?(record, lsn)
            return .valid(outcome)
        } catch let malformed as WALRecordBody.Malformed {
            throw WALRecordError.corruptRecord(segment: segment.fileName, lsn: lsn, reason: malformed.reason)
        }
    }

    /// Calls `body` with the record's bytes: in the segment itself when it lies within one page,
    /// else as `gather` assembled them.
    private func withRecord<Result>(at offset: Int, length: Int, inPlace: Bool, assembled: [UInt8],
                                    _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        guard inPlace else { return try assembled.withUnsafeBytes(body) }
        let within = offset % segmentBytes
        return try segments[offset / segmentBytes].withUnsafeBytes {
            try body(UnsafeRawBufferPointer(rebasing: $0[within..<(within + length)]))
        }
    }

    /// Copies the `length` bytes of the record at `start` into `record`, leaving out page headers;
    /// a record within one page is left where it is.
    private func gather(from start: Int, length: Int, into record: inout [UInt8]) throws -> Gathered {
        if start + length <= pageStart(after: start) {
            return try available(start, count: length) ? .complete(end: start + length, inPlace: true) : .incomplete
        }
        record.removeAll(keepingCapacity: true)
        var offset = start
        var remaining = length
        while true {
            let take = min(remaining, pageStart(after: offset) - offset)
            guard try available(offset, count: take) else { return .incomplete }
            let bytes = segments[offset / segmentBytes]
            let within = offset % segmentBytes
            record.append(contentsOf: bytes[within..<(within + take)])
            remaining -= take
            offset += take
            if remaining == 0 { return .complete(end: offset, inPlace: false) }
            guard try available(offset, count: WALFormat.shortPageHeaderSize) else { return .incomplete }
            guard let page = try page(at: offset) else {
                return .broken(page: offset, reason: "the page at \(LSN(base + UInt64(offset))) that should continue the record is not a valid WAL page")
            }
            guard page.info & WALFormat.firstIsContinuation != 0 else {
                if page.info & WALFormat.firstIsOverwrite != 0 { return .overwritten(page: offset) }
                return .broken(page: offset, reason: "the page at \(LSN(base + UInt64(offset))) does not continue the record")
            }
            guard page.remainingLength == remaining else {
                return .broken(page: offset, reason: "the page at \(LSN(base + UInt64(offset))) says \(page.remainingLength) bytes of the record remain, not \(remaining)")
            }
            offset += page.headerSize
        }
    }

    /// Where records begin after the `remaining` continued bytes at `start`; the segment's end when
    /// the continued record fills it, or the page where the continuation breaks off.
    private func skipContinuation(from start: Int, remaining initial: Int) throws -> Int {
        var offset = start
        var remaining = initial
        while true {
            let room = pageStart(after: offset) - offset
            if remaining <= room { return WALFormat.align(offset + remaining) }
            remaining -= room
            offset += room
            guard offset < segmentBytes else { return segmentBytes }
            guard let page = try page(at: offset), page.info & WALFormat.firstIsContinuation != 0,
                  page.remainingLength == remaining else { return offset }
            offset += page.headerSize
        }
    }

    /// Called where the readable WAL ends at the record at `record`: throws when a valid page of this
    /// segment's WAL lies at or after `checkingFrom`, since then the WAL did not end there.
    private func endOfWAL(record: Int, checkingFrom: Int, reason: String) throws {
        var offset = ((checkingFrom + blockSize - 1) / blockSize) * blockSize
        while offset < min(segmentBytes, segments[0].count) {
            if try page(at: offset) != nil {
                throw WALRecordError.corruptRecord(segment: segment.fileName, lsn: LSN(base + UInt64(record)), reason: reason)
            }
            offset += blockSize
        }
    }

    // MARK: Pages and bytes

    /// The start of the page after the one holding `offset`.
    private func pageStart(after offset: Int) -> Int { (offset / blockSize + 1) * blockSize }

    /// The page header at `offset` (a page start) when it belongs to this WAL: the right magic,
    /// the right address, and a long header exactly at segment starts.
    private func page(at offset: Int) throws -> Page? {
        guard try available(offset, count: WALFormat.shortPageHeaderSize) else { return nil }
        let bytes = segments[offset / segmentBytes]
        let within = offset % segmentBytes
        return bytes.withUnsafeBytes { raw -> Page? in
            let info = raw.loadUnaligned(fromByteOffset: within + 2, as: UInt16.self)
            guard raw.loadUnaligned(fromByteOffset: within, as: UInt16.self) == magic,
                  raw.loadUnaligned(fromByteOffset: within + 8, as: UInt64.self) == base + UInt64(offset),
                  (info & WALFormat.longHeader != 0) == (within == 0) else { return nil }
            return Page(info: info,
                        remainingLength: Int(raw.loadUnaligned(fromByteOffset: within + 16, as: UInt32.self)),
                        headerSize: within == 0 ? WALFormat.longPageHeaderSize : WALFormat.shortPageHeaderSize)
        }
    }

    private func load32(at offset: Int) -> UInt32 {
        segments[offset / segmentBytes].withUnsafeBytes {
            $0.loadUnaligned(fromByteOffset: offset % segmentBytes, as: UInt32.self)
        }
    }

    /// Whether `count` bytes at `offset` (within one page) are at hand, asking `next` for the
    /// following segments when `offset` lies beyond those at hand (one, unless a record is larger
    /// than a segment). Once `next` has answered nil it is not asked again.
    private func available(_ offset: Int, count: Int) throws -> Bool {
        let index = offset / segmentBytes
        while index >= segments.count {
            guard let bytes = try fetchNext() else { return false }
            segments.append(bytes)
        }
        return offset % segmentBytes + count <= segments[index].count
    }

    private func fetchNext() throws -> [UInt8]? {
        guard !nextExhausted else { return nil }
        let bytes = try next()
        nextExhausted = bytes == nil
        return bytes
    }
}
