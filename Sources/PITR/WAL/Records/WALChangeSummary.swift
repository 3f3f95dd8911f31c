/// What the records of one WAL segment say about changed data, for `incidents`: compact enough to
/// keep one per segment of a day's WAL, merged in WAL order by the caller. Xids are the records'
/// own (a subtransaction's for its records); the commits' subtransaction lists join them up.
package struct WALChangeSummary: Sendable {
    package struct RowChangeKey: Hashable, Sendable {
        package let xid: UInt32
        package let file: RelationFile

        package init(xid: UInt32, file: RelationFile) {
            self.xid = xid
            self.file = file
        }
    }

    package struct RowChanges: Equatable, Sendable {
        package var deleted = 0
        package var updated = 0
        /// Distinct heap blocks the changes touched (counted per segment: a block changed in two segments counts twice).
        package var blocks: BlockSet = []

        package init(deleted: Int = 0, updated: Int = 0, blocks: BlockSet = []) {
            self.deleted = deleted
            self.updated = updated
            self.blocks = blocks
        }

        /// One more deleted or updated row, on `block`.
        mutating func add(deleted isDelete: Bool, block: UInt32) {
            if isDelete { deleted += 1 } else { updated += 1 }
            blocks.insert(block)
        }
    }

    /// Distinct block numbers, the first kept inline: a transaction that changed one page (most do) allocates nothing.
    package struct BlockSet: Equatable, Sendable, ExpressibleByArrayLiteral {
        private var first: UInt32?
        private var others: Set<UInt32> = []

        package init(arrayLiteral blocks: UInt32...) {
            blocks.forEach { insert($0) }
        }

        package var count: Int { first == nil ? 0 : 1 + others.count }

        package mutating func insert(_ block: UInt32) {
            guard let first else { return self.first = block }
            if block != first { others.insert(block) }
        }

        package mutating func formUnion(_ other: BlockSet) {
            if let block = other.first { insert(block) }
            other.others.forEach { insert($0) }
        }
    }

    package struct FileCreation: Sendable {
        package let xid: UInt32
        package let file: RelationFile
        package let lsn: LSN

        package init(xid: UInt32, file: RelationFile, lsn: LSN) {
            self.xid = xid
            self.file = file
            self.lsn = lsn
        }
    }

    package struct DatabaseDrop: Sendable {
        package let xid: UInt32
        package let database: UInt32
        package let lsn: LSN

        package init(xid: UInt32, database: UInt32, lsn: LSN) {
            self.xid = xid
            self.database = database
            self.lsn = lsn
        }
    }

    /// An in-place heap update of a shared catalog (pg_database: datfrozenxid by VACUUM, or DROP DATABASE
    /// marking the database invalid before it removes its files).
    package struct SharedInplaceUpdate: Sendable {
        package let xid: UInt32
        package let lsn: LSN

        package init(xid: UInt32, lsn: LSN) {
            self.xid = xid
            self.lsn = lsn
        }
    }

    /// A commit or abort record: the top-level xid (or the prepared one) and what the record lists.
    package struct TransactionEnd: Sendable {
        package let xid: UInt32
        package let committed: Bool
        package let lsn: LSN
        package let time: PostgresTimestamp
        package let database: UInt32
        package let subtransactions: [UInt32]
        package let droppedFiles: [RelationFile]

        package init(xid: UInt32, committed: Bool, lsn: LSN, time: PostgresTimestamp, database: UInt32, subtransactions: [UInt32], droppedFiles: [RelationFile]) {
            self.xid = xid
            self.committed = committed
            self.lsn = lsn
            self.time = time
            self.database = database
            self.subtransactions = subtransactions
            self.droppedFiles = droppedFiles
        }
    }

    /// Heap DELETE, UPDATE and HOT_UPDATE records by transaction and relation file.
    package var rowChanges: [RowChangeKey: RowChanges] = [:]
    /// The first record in the segment that references each relation file's blocks.
    package var firstReferences: [RelationFile: LSN] = [:]
    /// Files that index access methods' records wrote to (btree, hash, GIN, GiST, SP-GiST, BRIN): index files.
    package var indexFiles: Set<RelationFile> = []
    /// Main-fork files created (XLOG_SMGR_CREATE).
    package var fileCreations: [FileCreation] = []
    /// Transactions that inserted, and that deleted, a pg_class row.
    package var classRowInserts: Set<UInt32> = []
    package var classRowDeletes: Set<UInt32> = []
    /// What the records say about pg_class tuples, in WAL order: the rows inserts and updates wrote, and the tuples
    /// of pg_class pages' full images (`ClassTupleChange`, replayed across segments by `ClassTupleReplay`).
    package var classTuples: [ClassTupleChange] = []
    /// Why the first pg_class page image in the segment that could not be restored was refused (`PageImage`), if any.
    package var refusedClassImage: String?
    package var databaseDrops: [DatabaseDrop] = []
    package var sharedInplaceUpdates: [SharedInplaceUpdate] = []
    package var transactionEnds: [TransactionEnd] = []

    package init() {}
}
