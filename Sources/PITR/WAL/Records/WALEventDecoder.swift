/// Turns one assembled record into a `WALEvent` when it is one of the records that end recovery:
/// a transaction commit or abort (RM_XACT_ID: COMMIT, ABORT, COMMIT_PREPARED, ABORT_PREPARED) or
/// a restore point (RM_XLOG_ID: XLOG_RESTORE_POINT); or a checkpoint (XLOG_CHECKPOINT_SHUTDOWN and
/// _ONLINE) or XLOG_END_OF_RECOVERY. Also tells XLOG_SWITCH apart, after which the rest of the segment
/// is padding. Other records are not looked into.
///
/// The xact main data is parsed as `ParseCommitRecord`/`ParseAbortRecord`
/// (src/backend/access/rmgrdesc/xactdesc.c) read it: xl_xact_commit/abort (xact_time), then, when
/// XLOG_XACT_HAS_INFO, the xinfo word and the parts it announces, packed without padding.
enum WALEventDecoder {
    enum Outcome: Equatable {
        case other
        case segmentSwitch
        case event(WALEvent)
    }

    // xinfo bits (xact.h).
    private static let hasDatabaseInfo: UInt32 = 1 << 0       // xl_xact_dbinfo: dbId, tsId
    private static let hasSubtransactions: UInt32 = 1 << 1    // int nsubxacts, TransactionId[]
    private static let hasRelations: UInt32 = 1 << 2          // RELFILELOCATORS: int, 12-byte entries
    private static let hasInvalidations: UInt32 = 1 << 3      // int nmsgs, 16-byte SharedInvalidationMessage[] (commit only)
    private static let hasTwoPhase: UInt32 = 1 << 4           // xl_xact_twophase: the prepared xid
    private static let hasDroppedStats: UInt32 = 1 << 8       // int nitems, 12-byte xl_xact_stats_item[]

    /// `record` is the whole record (header included) whose CRC has been checked.
    static func decode(_ record: UnsafeRawBufferPointer, lsn: LSN, endLSN: LSN) throws -> Outcome {
        let info = record[16]
        let resourceManager = record[17]
        switch resourceManager {
        case WALFormat.xlogResourceManager:
            switch info & WALFormat.rmgrInfoMask {
            case WALFormat.xlogSwitch:
                return .segmentSwitch
            case WALFormat.xlogCheckpointShutdown, WALFormat.xlogCheckpointOnline:
                let main = try WALRecordBody.mainData(of: record)
                guard main.count >= WALFormat.checkpointPrefixSize else {
                    throw WALRecordBody.Malformed(reason: "its checkpoint data is \(main.count) bytes, too short for redo and timelines")
                }
                let kind = WALEvent.Kind.checkpoint(
                    redo: LSN(record.loadUnaligned(fromByteOffset: main.lowerBound, as: UInt64.self)),
                    timeline: TimelineID(record.loadUnaligned(fromByteOffset: main.lowerBound + 8, as: UInt32.self)),
                    previousTimeline: TimelineID(record.loadUnaligned(fromByteOffset: main.lowerBound + 12, as: UInt32.self)),
                    online: info & WALFormat.rmgrInfoMask == WALFormat.xlogCheckpointOnline)
                return .event(WALEvent(kind: kind, lsn: lsn, endLSN: endLSN, xid: 0, time: PostgresTimestamp(rawValue: 0)))
            case WALFormat.xlogEndOfRecovery:
                let main = try WALRecordBody.mainData(of: record)
                guard main.count >= WALFormat.endOfRecoveryPrefixSize else {
                    throw WALRecordBody.Malformed(reason: "its end-of-recovery data is \(main.count) bytes, too short for time and timelines")
                }
                let kind = WALEvent.Kind.endOfRecovery(
                    timeline: TimelineID(record.loadUnaligned(fromByteOffset: main.lowerBound + 8, as: UInt32.self)),
                    previousTimeline: TimelineID(record.loadUnaligned(fromByteOffset: main.lowerBound + 12, as: UInt32.self)))
                let time = PostgresTimestamp(rawValue: record.loadUnaligned(fromByteOffset: main.lowerBound, as: Int64.self))
                return .event(WALEvent(kind: kind, lsn: lsn, endLSN: endLSN, xid: 0, time: time))
            case WALFormat.xlogRestorePoint:
                let main = try WALRecordBody.mainData(of: record)
                guard main.count >= 8 + WALFormat.restorePointNameSize else {
                    throw WALRecordBody.Malformed(reason: "its restore point data is \(main.count) bytes, expected 72")
                }
                let time = record.loadUnaligned(fromByteOffset: main.lowerBound, as: Int64.self)
                let nameBytes = record[(main.lowerBound + 8)..<(main.lowerBound + 8 + WALFormat.restorePointNameSize)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                return .event(WALEvent(kind: .restorePoint(name: name), lsn: lsn, endLSN: endLSN, xid: 0,
                                       time: PostgresTimestamp(rawValue: time)))
            default:
                return .other
            }
        case WALFormat.transactionResourceManager:
            let operation = info & WALFormat.xactOperationMask
            let kind: WALEvent.Kind
            switch operation {
            case WALFormat.xactCommit, WALFormat.xactCommitPrepared: kind = .commit
            case WALFormat.xactAbort, WALFormat.xactAbortPrepared: kind = .abort
            default: return .other
            }
            let main = try WALRecordBody.mainData(of: record)
            guard main.count >= 8 else {
                throw WALRecordBody.Malformed(reason: "its transaction data is \(main.count) bytes, too short for xact_time")
            }
            let time = PostgresTimestamp(rawValue: record.loadUnaligned(fromByteOffset: main.lowerBound, as: Int64.self))
            var xid = record.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            if operation == WALFormat.xactCommitPrepared || operation == WALFormat.xactAbortPrepared {
                xid = try preparedXID(record, main: main, info: info, isCommit: kind == .commit)
            }
            return .event(WALEvent(kind: kind, lsn: lsn, endLSN: endLSN, xid: xid, time: time))
        default:
            return .other
        }
    }

    /// The xid of the prepared transaction a COMMIT/ABORT PREPARED record finishes (xl_xact_twophase),
    /// behind the parts the xinfo flags announce.
    private static func preparedXID(_ record: UnsafeRawBufferPointer, main: Range<Int>, info: UInt8,
                                    isCommit: Bool) throws -> UInt32 {
        var offset = main.lowerBound + 8
        func read32(_ what: String) throws -> UInt32 {
            guard offset + 4 <= main.upperBound else {
                throw WALRecordBody.Malformed(reason: "its \(what) runs past the transaction data")
            }
            defer { offset += 4 }
            return record.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        }
        func skipArray(_ what: String, entrySize: Int) throws {
            let count = Int(Int32(bitPattern: try read32(what + " count")))
            guard count >= 0, offset + count * entrySize <= main.upperBound else {
                throw WALRecordBody.Malformed(reason: "its \(count) \(what) run past the transaction data")
            }
            offset += count * entrySize
        }
        let xinfo = info & WALFormat.xactHasInfo != 0 ? try read32("xinfo") : 0
        if xinfo & hasDatabaseInfo != 0 { offset += 8 }
        if xinfo & hasSubtransactions != 0 { try skipArray("subtransactions", entrySize: 4) }
        if xinfo & hasRelations != 0 { try skipArray("relations", entrySize: 12) }
        if xinfo & hasDroppedStats != 0 { try skipArray("dropped statistics", entrySize: 12) }
        if isCommit, xinfo & hasInvalidations != 0 { try skipArray("invalidation messages", entrySize: 16) }
        guard xinfo & hasTwoPhase != 0 else {
            throw WALRecordBody.Malformed(reason: "a prepared transaction's record has no XACT_XINFO_HAS_TWOPHASE part")
        }
        return try read32("prepared xid")
    }
}
