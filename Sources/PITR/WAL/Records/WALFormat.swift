/// Constants of the WAL record format shared by PostgreSQL 15 to 18, from
/// src/include/access/xlog_internal.h, xlogrecord.h, rmgrlist.h, xact.h and pg_control.h
/// (postgres/postgres, REL_15 to REL_18 branches; checked against each major's pg_waldump by the tests).
enum WALFormat {
    /// MAXALIGN on the 64-bit platforms PostgreSQL runs on: records start on 8-byte boundaries.
    static let alignment = 8
    static func align(_ offset: Int) -> Int { (offset + alignment - 1) & ~(alignment - 1) }

    /// SizeOfXLogShortPHD: the 20-byte XLogPageHeaderData, MAXALIGNed.
    static let shortPageHeaderSize = 24
    /// SizeOfXLogLongPHD.
    static let longPageHeaderSize = 40

    /// xlp_info bits.
    static let firstIsContinuation: UInt16 = 0x0001     // XLP_FIRST_IS_CONTRECORD
    static let longHeader: UInt16 = 0x0002              // XLP_LONG_HEADER
    static let firstIsOverwrite: UInt16 = 0x0008        // XLP_FIRST_IS_OVERWRITE_CONTRECORD

    /// SizeOfXLogRecord: xl_tot_len u32, xl_xid u32, xl_prev u64, xl_info u8, xl_rmid u8, 2 pad, xl_crc u32.
    static let recordHeaderSize = 24
    static let crcOffset = 20

    /// Resource managers (rmgrlist.h order).
    static let xlogResourceManager: UInt8 = 0            // RM_XLOG_ID
    static let transactionResourceManager: UInt8 = 1     // RM_XACT_ID

    /// The low four xl_info bits belong to the record machinery (XLR_INFO_MASK), the rest to the rmgr.
    static let rmgrInfoMask: UInt8 = 0xF0
    static let xlogCheckpointShutdown: UInt8 = 0x00      // XLOG_CHECKPOINT_SHUTDOWN
    static let xlogCheckpointOnline: UInt8 = 0x10        // XLOG_CHECKPOINT_ONLINE
    static let xlogSwitch: UInt8 = 0x40                  // XLOG_SWITCH
    static let xlogEndOfRecovery: UInt8 = 0x90           // XLOG_END_OF_RECOVERY
    static let xlogRestorePoint: UInt8 = 0x70            // XLOG_RESTORE_POINT
    /// xl_restore_point: TimestampTz rp_time, char rp_name[MAXFNAMELEN = 64].
    static let restorePointNameSize = 64
    /// CheckPoint begins redo (XLogRecPtr), ThisTimeLineID, PrevTimeLineID: 16 bytes read of it.
    static let checkpointPrefixSize = 16
    /// xl_end_of_recovery begins end_time (TimestampTz), ThisTimeLineID, PrevTimeLineID: 16 bytes read of it.
    static let endOfRecoveryPrefixSize = 16

    static let xactOperationMask: UInt8 = 0x70           // XLOG_XACT_OPMASK
    static let xactCommit: UInt8 = 0x00
    static let xactAbort: UInt8 = 0x20
    static let xactCommitPrepared: UInt8 = 0x30
    static let xactAbortPrepared: UInt8 = 0x40
    static let xactHasInfo: UInt8 = 0x80                 // XLOG_XACT_HAS_INFO: an xinfo word follows xact_time

    /// The records that change data (`WALChangeDecoder`): storage (smgr.h), databases
    /// (dbcommands_xlog.h; 15 added CREATE_WAL_LOG as 0x10, so DROP is 0x20 from 15 on) and heap (heapam_xlog.h).
    static let storageResourceManager: UInt8 = 2         // RM_SMGR_ID
    static let databaseResourceManager: UInt8 = 4        // RM_DBASE_ID
    static let heapResourceManager: UInt8 = 10           // RM_HEAP_ID
    /// RM_STANDBY_ID and XLOG_STANDBY_LOCK (standbydefs.h): int nlocks, then 12-byte xl_standby_lock entries
    /// (xid, dbOid, relOid).
    static let standbyResourceManager: UInt8 = 8
    static let standbyLock: UInt8 = 0x00
    static let standbyLockEntrySize = 12
    /// RM_BTREE_ID 11, RM_HASH_ID 12, RM_GIN_ID 13, RM_GIST_ID 14, RM_SPGIST_ID 16, RM_BRIN_ID 17 (15 is sequences).
    static let indexResourceManagers: Set<UInt8> = [11, 12, 13, 14, 16, 17]
    static let smgrCreate: UInt8 = 0x10                  // XLOG_SMGR_CREATE: xl_smgr_create (RelFileLocator, ForkNumber)
    static let databaseDrop: UInt8 = 0x20                // XLOG_DBASE_DROP: xl_dbase_drop_rec (db_id, ...)
    static let heapOperationMask: UInt8 = 0x70           // XLOG_HEAP_OPMASK
    static let heapInsert: UInt8 = 0x00
    static let heapDelete: UInt8 = 0x10
    static let heapUpdate: UInt8 = 0x20
    static let heapHotUpdate: UInt8 = 0x40
    static let heapInplace: UInt8 = 0x70
    /// xl_heap_delete's flags byte (after xmax u32, offnum u16, infobits u8) and XLH_DELETE_IS_SUPER:
    /// the removal of a speculatively inserted tuple (INSERT ... ON CONFLICT), not a DELETE.
    static let heapDeleteFlagsOffset = 7
    static let heapDeleteIsSuper: UInt8 = 0x08
}
