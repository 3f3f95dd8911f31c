/// One entry of an XLOG_STANDBY_LOCK record (src/include/storage/standbydefs.h, xl_standby_locks; the
/// same on 15 to 18): a transaction took an ACCESS EXCLUSIVE lock on a relation, which recovery takes
/// too and keeps until it replays the transaction's commit or abort. Logged when the lock is taken,
/// and again for every lock still held in the snapshot a checkpoint logs at its redo point.
public struct StandbyLock: Hashable, Sendable {
    /// The xid that took the lock (a subtransaction's when taken in one).
    public let xid: UInt32
    /// The database's OID and the relation's OID (pg_class.oid, not its relation file).
    public let database: UInt32
    public let relation: UInt32
    /// The record's LSN.
    public let lsn: LSN

    public init(xid: UInt32, database: UInt32, relation: UInt32, lsn: LSN) {
        self.xid = xid
        self.database = database
        self.relation = relation
        self.lsn = lsn
    }
}
