/// Reads the records of one WAL segment as PostgreSQL's xlogreader does, and reports the commits,
/// aborts, restore points, checkpoints and logged ACCESS EXCLUSIVE locks among them (`WALEventDecoder`).
///
/// The walk (src/backend/access/transam/xlogreader.c, `XLogDecodeNextRecord` and
/// `XLogReaderValidatePageHeader`, followed for 13 to 17, whose page and record layouts agree):
/// - The segment begins with a long page header, every later page with a short one. When
///   XLP_FIRST_IS_CONTRECORD is set, the first xlp_rem_len bytes finish a record begun in the previous
///   segment: they are skipped (page after page if need be), since that record belongs to the previous scan.
/// - Records start MAXALIGNed (8 bytes). A record, even its 24-byte header, may continue on the next
///   page (after its header, whose xlp_rem_len says how much is left) and into the next segment,
///   which `next` supplies; when `next` returns nil the record is incomplete and the scan ends before it.
/// - After an XLOG_SWITCH record the rest of the segment is padding.
/// - A record length of zero, a page that is not this WAL's (zeroed, or stale bytes of a recycled
///   segment), a CRC-32C mismatch or an xl_prev that does not point at the previous record ends the
///   readable WAL, as it ends recovery. Such a stop is quiet when nothing valid follows within the
///   segment: the torn or zeroed end of a partial segment. When a later page of the same segment is a
///   valid page of this WAL, the WAL went on past the damage, so the scan throws
///   `WALRecordError.corruptRecord` naming the segment and the record's LSN instead.
/// - A record whose CRC is right but whose headers cannot be parsed throws `corruptRecord` too.
public struct WALRecordScanner: Sendable {
    public let segmentSize: WALSegmentSize
    public let majorVersion: Int

    public init(segmentSize: WALSegmentSize, majorVersion: Int) {
        self.segmentSize = segmentSize
        self.majorVersion = majorVersion
    }

    /// Scans `bytes`, the contents of `segment` (normally the whole segment; a shorter file ends
    /// like a zeroed tail). `next` is asked for the following segment's bytes when a record starting
    /// in this segment crosses its end, and once more for each further segment a record longer than
    /// a segment reaches into; nil means it is not available.
    public func scan(segment: WALSegmentName, bytes: [UInt8], next: () throws -> [UInt8]?) throws -> WALScan {
        try walk(segment: segment, bytes: bytes, next: next, visit: nil)
    }

    /// The same scan, also summarizing the records that change data (`WALChangeDecoder`) for `incidents`.
    package func summarize(segment: WALSegmentName, bytes: [UInt8], next: () throws -> [UInt8]?) throws -> (scan: WALScan, changes: WALChangeSummary) {
        var changes = WALChangeSummary()
        let major = majorVersion
        let scan = try walk(segment: segment, bytes: bytes, next: next) { record, lsn in
            try WALChangeDecoder.absorb(record, lsn: lsn, majorVersion: major, into: &changes)
        }
        return (scan, changes)
    }

    private func walk(segment: WALSegmentName, bytes: [UInt8], next: () throws -> [UInt8]?,
                      visit: ((UnsafeRawBufferPointer, LSN) throws -> Void)?) throws -> WALScan {
        guard PostgreSQLMajor.supported.contains(majorVersion), let magic = PostgreSQLMajor.pageMagic(of: majorVersion) else {
            throw WALRecordError.unsupportedVersion(majorVersion)
        }
        return try withoutActuallyEscaping(next) { next in
            guard let visit else {
                return try WALSegmentWalk(segment: segment, bytes: bytes, segmentSize: segmentSize, magic: magic,
                                          majorVersion: majorVersion, next: next).run()
            }
            return try withoutActuallyEscaping(visit) { visit in
                try WALSegmentWalk(segment: segment, bytes: bytes, segmentSize: segmentSize, magic: magic,
                                   majorVersion: majorVersion, next: next, visit: visit).run()
            }
        }
    }
}
