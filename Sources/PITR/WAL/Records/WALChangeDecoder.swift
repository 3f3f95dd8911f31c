/// Adds one assembled record to a segment's `WALChangeSummary`: the records `incidents` reasons
/// over (docs/wal-decoding.md, "Changes"). Every record's block references are noted (which relation
/// files it wrote); besides:
/// - RM_HEAP_ID DELETE (not XLH_DELETE_IS_SUPER), UPDATE, HOT_UPDATE: one row each, by xid and block 0's file;
///   INSERT and DELETE on pg_class (file 1259 of a database) mark the transaction; the rows INSERT, UPDATE and
///   HOT_UPDATE write into pg_class are kept (`ClassTupleChange`: the names of tables created, renamed or given a new
///   file in the WAL); INPLACE on a shared catalog (tablespace 1664) is kept with its LSN.
/// - any record's full-page images of pg_class pages: their tuples, which later updates are logged against.
/// - the index access methods' records (btree, hash, GIN, GiST, SP-GiST, BRIN): their files are index files.
/// - RM_SMGR_ID CREATE of a main fork: the file and the xid.
/// - RM_DBASE_ID DROP: the database and the xid.
/// - RM_XACT_ID COMMIT, ABORT and their PREPARED forms (`WALTransactionRecord`).
enum WALChangeDecoder {
    /// pg_class's relation file number as initdb leaves it (a mapped catalog: only VACUUM FULL or
    /// CLUSTER of pg_class itself gives it another).
    static let classFileNumber: UInt32 = 1259
    /// The pg_global tablespace, where shared catalogs live.
    static let globalTablespace: UInt32 = 1664
    private static let mainFork: Int32 = 0

    static func absorb(_ record: UnsafeRawBufferPointer, lsn: LSN, majorVersion: Int, into summary: inout WALChangeSummary) throws {
        let info = record[16]
        let resourceManager = record[17]
        let xid = record.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        var firstBlock: WALRecordBody.BlockReference?
        var secondBlock: WALRecordBody.BlockReference?
        var classImages: [WALRecordBody.BlockReference] = []
        var payload = 0
        let index = WALFormat.indexResourceManagers.contains(resourceManager)
        let main = try WALRecordBody.mainData(of: record) { block in
            if firstBlock == nil { firstBlock = block } else if secondBlock == nil { secondBlock = block }
            // (A visibility map or free space map page of pg_class holds no tuples.)
            if block.file.number == classFileNumber, block.fork == UInt8(mainFork), block.hasImage { classImages.append(block) }
            payload += block.imageLength + block.dataLength
            if summary.firstReferences[block.file] == nil { summary.firstReferences[block.file] = lsn }
            if index { summary.indexFiles.insert(block.file) }
        }
        let payloadStart = main.lowerBound - payload
        var imaged: [ClassTupleChange] = []
        for block in classImages {
            do {
                imaged += try ClassTupleChange.imaged(record, block: block, payloadStart: payloadStart)
            } catch {
                summary.refusedClassImage = summary.refusedClassImage ?? "the image of pg_class block \(block.number) in the record at \(lsn): \(error)"
            }
        }
        if !imaged.isEmpty { summary.classTuples += imaged }
        switch resourceManager {
        case WALFormat.heapResourceManager:
            guard let first = firstBlock else { return }
            let (file, block) = (first.file, first.number)
            let key = WALChangeSummary.RowChangeKey(xid: xid, file: file)
            switch info & WALFormat.heapOperationMask {
            case WALFormat.heapDelete:
                guard main.count > WALFormat.heapDeleteFlagsOffset else {
                    throw WALRecordBody.Malformed(reason: "its heap delete data is \(main.count) bytes, too short for its flags")
                }
                if file.number == classFileNumber { summary.classRowDeletes.insert(xid) }
                guard record[main.lowerBound + WALFormat.heapDeleteFlagsOffset] & WALFormat.heapDeleteIsSuper == 0 else { return }
                summary.rowChanges[key, default: .init()].add(deleted: true, block: block)
            case WALFormat.heapUpdate, WALFormat.heapHotUpdate:
                // Block 0 is the new tuple's page; the old one's is block 1 when it differs.
                summary.rowChanges[key, default: .init()].add(deleted: false, block: block)
                guard file.number == classFileNumber else { return }
                summary.classTuples.append(try ClassTupleChange.updated(record, main: main, block: first, oldBlock: secondBlock?.number,
                                                                        payloadStart: payloadStart, imaged: imaged, xid: xid, lsn: lsn))
            case WALFormat.heapInsert:
                guard file.number == classFileNumber else { return }
                summary.classRowInserts.insert(xid)
                guard main.count >= 2 else {
                    throw WALRecordBody.Malformed(reason: "its heap insert data is \(main.count) bytes, too short for its offset number")
                }
                let location = ClassTupleLocation(database: file.database, block: block,
                                                  offset: record.loadUnaligned(fromByteOffset: main.lowerBound, as: UInt16.self))
                summary.classTuples.append(try ClassTupleChange.inserted(record, block: first, payloadStart: payloadStart, location: location,
                                                                         imaged: imaged, xid: xid, lsn: lsn))
            case WALFormat.heapInplace:
                if file.tablespace == globalTablespace { summary.sharedInplaceUpdates.append(.init(xid: xid, lsn: lsn)) }
            default:
                break
            }
        case WALFormat.storageResourceManager:
            guard info & WALFormat.rmgrInfoMask == WALFormat.smgrCreate else { return }
            guard main.count >= 16 else {
                throw WALRecordBody.Malformed(reason: "its storage-create data is \(main.count) bytes, expected 16")
            }
            guard record.loadUnaligned(fromByteOffset: main.lowerBound + 12, as: Int32.self) == mainFork else { return }
            summary.fileCreations.append(.init(xid: xid, file: RelationFile(record, at: main.lowerBound), lsn: lsn))
        case WALFormat.databaseResourceManager:
            guard info & WALFormat.rmgrInfoMask == WALFormat.databaseDrop else { return }
            guard main.count >= 8 else {
                throw WALRecordBody.Malformed(reason: "its database-drop data is \(main.count) bytes, too short for db_id")
            }
            // ALTER DATABASE SET TABLESPACE logs the removal of the old directory from a transaction without an xid;
            // DROP DATABASE has deleted the pg_database row, and so has an xid, before it logs the drop.
            guard xid != 0 else { return }
            summary.databaseDrops.append(.init(xid: xid, database: record.loadUnaligned(fromByteOffset: main.lowerBound, as: UInt32.self), lsn: lsn))
        case WALFormat.transactionResourceManager:
            let operation = info & WALFormat.xactOperationMask
            let committed: Bool
            switch operation {
            case WALFormat.xactCommit, WALFormat.xactCommitPrepared: committed = true
            case WALFormat.xactAbort, WALFormat.xactAbortPrepared: committed = false
            default: return
            }
            let parsed = try WALTransactionRecord(record, main: main, info: info, isCommit: committed, majorVersion: majorVersion)
            summary.transactionEnds.append(.init(xid: parsed.preparedXID ?? xid, committed: committed, lsn: lsn, time: parsed.time,
                                                 database: parsed.database, subtransactions: parsed.subtransactions,
                                                 droppedFiles: parsed.droppedFiles))
        default:
            break
        }
    }
}
