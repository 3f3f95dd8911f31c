/// The main data of a transaction's commit or abort record (xl_xact_commit / xl_xact_abort), read as
/// `ParseCommitRecord` / `ParseAbortRecord` (src/backend/access/rmgrdesc/xactdesc.c) read it:
/// xact_time, then, when XLOG_XACT_HAS_INFO, the xinfo word and the parts it announces, packed
/// without padding: database, subtransactions, relation files to drop, dropped statistics,
/// invalidation messages (commits only), the two-phase part.
///
/// Majors: 15 to 18 agree on every part read here except the dropped-statistics entry
/// (xl_xact_stats_item), 12 bytes through 17 (kind, dboid, objoid) and 16 from 18 (the object id
/// split into objid_lo and objid_hi).
struct WALTransactionRecord: Equatable {
    var time: PostgresTimestamp
    /// xl_xact_dbinfo's dbId; 0 when the record has none (a transaction that touched no database objects).
    var database: UInt32 = 0
    var subtransactions: [UInt32] = []
    /// The relation files the commit (or abort) unlinks.
    var droppedFiles: [RelationFile] = []
    /// The prepared transaction's xid (COMMIT/ABORT PREPARED); nil for the others.
    var preparedXID: UInt32?

    // xinfo bits (xact.h).
    private static let hasDatabaseInfo: UInt32 = 1 << 0       // xl_xact_dbinfo: dbId, tsId
    private static let hasSubtransactions: UInt32 = 1 << 1    // int nsubxacts, TransactionId[]
    private static let hasRelations: UInt32 = 1 << 2          // RELFILELOCATORS: int, 12-byte entries
    private static let hasInvalidations: UInt32 = 1 << 3      // int nmsgs, 16-byte SharedInvalidationMessage[] (commit only)
    private static let hasTwoPhase: UInt32 = 1 << 4           // xl_xact_twophase: the prepared xid
    private static let hasDroppedStats: UInt32 = 1 << 8       // int nitems, xl_xact_stats_item[]

    /// The size of one xl_xact_stats_item in `majorVersion`'s records.
    static func statsItemSize(majorVersion: Int) -> Int { majorVersion >= 18 ? 16 : 12 }

    /// Parses the main data `main` of `record`; `info` is the record's xl_info.
    init(_ record: UnsafeRawBufferPointer, main: Range<Int>, info: UInt8, isCommit: Bool, majorVersion: Int) throws {
        guard main.count >= 8 else {
            throw WALRecordBody.Malformed(reason: "its transaction data is \(main.count) bytes, too short for xact_time")
        }
        time = PostgresTimestamp(rawValue: record.loadUnaligned(fromByteOffset: main.lowerBound, as: Int64.self))
        var offset = main.lowerBound + 8
        func read32(_ what: String) throws -> UInt32 {
            guard offset + 4 <= main.upperBound else {
                throw WALRecordBody.Malformed(reason: "its \(what) runs past the transaction data")
            }
            defer { offset += 4 }
            return record.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        }
        func array(_ what: String, entrySize: Int) throws -> Range<Int> {
            let count = Int(Int32(bitPattern: try read32(what + " count")))
            guard count >= 0, offset + count * entrySize <= main.upperBound else {
                throw WALRecordBody.Malformed(reason: "its \(count) \(what) run past the transaction data")
            }
            defer { offset += count * entrySize }
            return offset..<(offset + count * entrySize)
        }
        let xinfo = info & WALFormat.xactHasInfo != 0 ? try read32("xinfo") : 0
        if xinfo & Self.hasDatabaseInfo != 0 {
            database = try read32("database")
            _ = try read32("tablespace")
        }
        if xinfo & Self.hasSubtransactions != 0 {
            subtransactions = try array("subtransactions", entrySize: 4).striding(by: 4).map {
                record.loadUnaligned(fromByteOffset: $0, as: UInt32.self)
            }
        }
        if xinfo & Self.hasRelations != 0 {
            droppedFiles = try array("relations", entrySize: 12).striding(by: 12).map { RelationFile(record, at: $0) }
        }
        if xinfo & Self.hasDroppedStats != 0 {
            _ = try array("dropped statistics", entrySize: Self.statsItemSize(majorVersion: majorVersion))
        }
        if isCommit, xinfo & Self.hasInvalidations != 0 { _ = try array("invalidation messages", entrySize: 16) }
        if xinfo & Self.hasTwoPhase != 0 { preparedXID = try read32("prepared xid") }
    }
}

private extension Range<Int> {
    func striding(by step: Int) -> StrideTo<Int> { stride(from: lowerBound, to: upperBound, by: step) }
}
