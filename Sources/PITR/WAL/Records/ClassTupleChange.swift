/// A pg_class tuple's place in its database's pg_class: block and line pointer (its ctid).
package struct ClassTupleLocation: Hashable, Sendable {
    package let database: UInt32
    package let block: UInt32
    package let offset: UInt16

    package init(database: UInt32, block: UInt32, offset: UInt16) {
        self.database = database
        self.block = block
        self.offset = offset
    }
}

/// What one record says about pg_class tuples, kept in WAL order in `WALChangeSummary.classTuples` and replayed
/// in that order by `ClassTupleReplay`, which needs earlier segments' tuples to rebuild a later update's row.
/// A tuple is its columns: the bytes after its t_hoff, the part log_heap_update compresses.
package enum ClassTupleChange: Equatable, Sendable {
    /// A tuple on a pg_class page a record carried a full-page image of (decompressed when wal_compression compressed
    /// it): the page as the record left it, so possibly an old version of a row. Known, not written.
    case imaged(ClassTupleLocation, columns: [UInt8])
    /// The row a pg_class insert or update by `xid` wrote, whole (from the record's data, or from its page's image).
    case written(ClassTupleLocation, columns: [UInt8], xid: UInt32, lsn: LSN)
    /// An update's row logged against the old version on the same page (XLH_UPDATE_PREFIX_FROM_OLD,
    /// XLH_UPDATE_SUFFIX_FROM_OLD): the old columns' first `prefix` and last `suffix` bytes, with `middle` between.
    case compressed(old: ClassTupleLocation, new: ClassTupleLocation, prefix: Int, suffix: Int, middle: [UInt8], xid: UInt32, lsn: LSN)
    /// An insert's or update's row that lies in a full-page image `PageImage` refused: one that does not decompress
    /// to a page (corrupt, or compressed by a method this build does not know).
    case unreadable(ClassTupleLocation)
}
