/// Turns one assembled record into a `WALEvent` when it is one of the records that end recovery:
/// a transaction commit or abort (RM_XACT_ID: COMMIT, ABORT, COMMIT_PREPARED, ABORT_PREPARED) or
/// a restore point (RM_XLOG_ID: XLOG_RESTORE_POINT); or a checkpoint (XLOG_CHECKPOINT_SHUTDOWN and
/// _ONLINE) or XLOG_END_OF_RECOVERY; and reads the locks of XLOG_STANDBY_LOCK records (`StandbyLock`), which the
/// planner weighs at a stop. Also tells XLOG_SWITCH apart, after which the rest of the segment
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
        case locks([StandbyLock])
    }

    /// `record` is the whole record (header included) whose CRC has been checked.
    static func decode(_ record: UnsafeRawBufferPointer, lsn: LSN, endLSN: LSN, majorVersion: Int) throws -> Outcome {
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
            let parsed = try WALTransactionRecord(record, main: main, info: info, isCommit: kind == .commit, majorVersion: majorVersion)
            let time = parsed.time
            var xid = record.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            if operation == WALFormat.xactCommitPrepared || operation == WALFormat.xactAbortPrepared {
                guard let prepared = parsed.preparedXID else {
                    throw WALRecordBody.Malformed(reason: "a prepared transaction's record has no XACT_XINFO_HAS_TWOPHASE part")
                }
                xid = prepared
            }
            return .event(WALEvent(kind: kind, lsn: lsn, endLSN: endLSN, xid: xid, time: time, subtransactions: parsed.subtransactions))
        case WALFormat.standbyResourceManager:
            guard info & WALFormat.rmgrInfoMask == WALFormat.standbyLock else { return .other }
            let main = try WALRecordBody.mainData(of: record)
            let count = main.count >= 4 ? Int(record.loadUnaligned(fromByteOffset: main.lowerBound, as: Int32.self)) : -1
            guard count >= 0, 4 + count * WALFormat.standbyLockEntrySize <= main.count else {
                throw WALRecordBody.Malformed(reason: "its standby lock data is \(main.count) bytes, too short for its lock count \(count)")
            }
            return .locks(stride(from: main.lowerBound + 4, to: main.lowerBound + 4 + count * WALFormat.standbyLockEntrySize,
                                 by: WALFormat.standbyLockEntrySize).map {
                StandbyLock(xid: record.loadUnaligned(fromByteOffset: $0, as: UInt32.self),
                            database: record.loadUnaligned(fromByteOffset: $0 + 4, as: UInt32.self),
                            relation: record.loadUnaligned(fromByteOffset: $0 + 8, as: UInt32.self), lsn: lsn)
            })
        default:
            return .other
        }
    }
}
