/// Replays `ClassTupleChange`s in WAL order: keeps the last known columns of each pg_class tuple by its place, so that
/// an update logged against its old version (prefix and suffix from the old row) can be rebuilt, and gives the rows
/// inserts and updates wrote. Inplace updates (VACUUM's relpages, relfrozenxid) are not replayed: they change no column
/// `ClassRow` reads, nor a tuple's length, so a rebuilt row's naming columns are exact.
package struct ClassTupleReplay {
    private var tuples: [ClassTupleLocation: [UInt8]] = [:]
    /// Inserts' and updates' rows that could not be read: in a page image that does not decompress, or logged against
    /// an old version that is not known (its page's last full image lies before the WAL read, or does not decompress).
    package private(set) var unreadable = 0

    package init() {}

    /// The row `change` wrote and the (sub)transaction that wrote it, when it wrote one that can be read.
    package mutating func apply(_ change: ClassTupleChange) -> (xid: UInt32, row: ClassRow)? {
        switch change {
        case .imaged(let location, let columns):
            tuples[location] = columns
            return nil
        case .written(let location, let columns, let xid, let lsn):
            tuples[location] = columns
            return ClassRow(columns: columns, database: location.database, lsn: lsn).map { (xid, $0) }
        case .compressed(let old, let new, let prefix, let suffix, let middle, let xid, let lsn):
            guard let oldColumns = tuples[old], prefix + suffix <= oldColumns.count else {
                tuples[new] = nil
                unreadable += 1
                return nil
            }
            let columns = Array(oldColumns[..<prefix]) + middle + Array(oldColumns[(oldColumns.count - suffix)...])
            tuples[new] = columns
            return ClassRow(columns: columns, database: new.database, lsn: lsn).map { (xid, $0) }
        case .unreadable(let location):
            tuples[location] = nil
            unreadable += 1
            return nil
        }
    }
}
