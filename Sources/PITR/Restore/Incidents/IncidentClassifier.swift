import PITRBackup
import PITRRepository
import PITRWAL

/// Reads the change summaries of one timeline's segments in WAL order and says which committed
/// transactions destroyed data (docs/recovery.md, "How incidents are told apart"):
///
/// - a transaction whose records drop a database (XLOG_DBASE_DROP): DROP DATABASE, restored to just
///   before the in-place update that marked the database invalid (the last one on pg_database before
///   the drop record, by the same transaction or by one without an xid yet);
/// - a commit that unlinks relation files that held data (not files created within the WAL read that no
///   record wrote to before the commit, nor files an index access method wrote to), when the transaction
///   created no file: DROP (TABLE, and any other relation whose kind the WAL read does not show);
/// - when it created files too, it is a rewrite and not an incident if it copied the relation through a
///   new pg_class row that it dropped again (VACUUM FULL, CLUSTER, ALTER TABLE rewrites, REFRESH
///   MATERIALIZED VIEW), if every new file lies in a tablespace none of the dropped ones lies in (SET
///   TABLESPACE), or if every new file was written before the commit (REINDEX), in each case with as many
///   new files as dropped ones; otherwise TRUNCATE (new, empty files), or DROP when the transaction deleted
///   a pg_class row;
/// - heap DELETE and UPDATE records of the transaction and its subtransactions (joined by the commit's
///   list), at least `rowThreshold` on one relation file: DELETE or UPDATE.
/// Aborted transactions are forgotten with everything they did.
struct IncidentClassifier {
    let cluster: ClusterIdentity
    let timeline: TimelineID
    let rowThreshold: Int

    private var rowChanges: [UInt32: [RelationFile: WALChangeSummary.RowChanges]] = [:]
    private var creations: [UInt32: [WALChangeSummary.FileCreation]] = [:]
    /// Files whose creation lies in the WAL read (by transactions that did not abort), and the first record
    /// that wrote each after its creation: a file nothing wrote to was empty.
    private var createdFiles: [RelationFile: (created: LSN, written: LSN?)] = [:]
    /// Files known to be indexes: dropping one loses nothing that cannot be rebuilt.
    private var indexFiles: Set<RelationFile> = []
    private var classRowInserts: Set<UInt32> = []
    private var classRowDeletes: Set<UInt32> = []
    private var databaseDrops: [UInt32: WALChangeSummary.DatabaseDrop] = [:]
    private var inplaceUpdates: [WALChangeSummary.SharedInplaceUpdate] = []
    /// pg_class rows inserted or updated in the WAL read by committed transactions, the last by their file and by
    /// their OID (a TOAST relation's name, pg_toast_<OID>, gives its table's OID); those of transactions not ended yet,
    /// by xid; and the tuples replayed to read them.
    private var classRows: [RelationNames.FileKey: ClassRow] = [:]
    private var classRowsByOID: [RelationNames.FileKey: ClassRow] = [:]
    private var pendingClassRows: [UInt32: [ClassRow]] = [:]
    private var classTuples = ClassTupleReplay()
    /// pg_class rows inserts and updates wrote that could not be read.
    var unreadableClassRows: Int { classTuples.unreadable }
    /// Why the first pg_class page image refused in the WAL read was refused.
    private(set) var refusedClassImage: String?
    private(set) var incidents: [Incident] = []

    /// How many in-place updates of shared catalogs are remembered: DROP DATABASE's comes just before its drop record.
    private static let inplaceMemory = 64

    init(cluster: ClusterIdentity, timeline: TimelineID, rowThreshold: Int) {
        self.cluster = cluster
        self.timeline = timeline
        self.rowThreshold = rowThreshold
    }

    /// Adds the next segment's summary (segments in WAL order).
    mutating func add(_ summary: WALChangeSummary) {
        refusedClassImage = refusedClassImage ?? summary.refusedClassImage
        for (key, changes) in summary.rowChanges {
            var merged = rowChanges[key.xid, default: [:]][key.file, default: .init()]
            merged.deleted += changes.deleted
            merged.updated += changes.updated
            merged.blocks.formUnion(changes.blocks)
            rowChanges[key.xid, default: [:]][key.file] = merged
        }
        for creation in summary.fileCreations {
            creations[creation.xid, default: []].append(creation)
            createdFiles[creation.file] = (creation.lsn, nil)
        }
        for (file, lsn) in summary.firstReferences {
            if let created = createdFiles[file], created.written == nil, lsn > created.created {
                createdFiles[file] = (created.created, lsn)
            }
        }
        indexFiles.formUnion(summary.indexFiles)
        for change in summary.classTuples {
            if let (xid, row) = classTuples.apply(change), row.fileNumber != 0 { pendingClassRows[xid, default: []].append(row) }
        }
        classRowInserts.formUnion(summary.classRowInserts)
        classRowDeletes.formUnion(summary.classRowDeletes)
        for drop in summary.databaseDrops { databaseDrops[drop.xid] = drop }
        inplaceUpdates.append(contentsOf: summary.sharedInplaceUpdates)
        if inplaceUpdates.count > Self.inplaceMemory { inplaceUpdates.removeFirst(inplaceUpdates.count - Self.inplaceMemory) }
        for end in summary.transactionEnds {
            // The names a transaction gave are the names its own incident shows (a rename then a DROP, in one).
            if end.committed { learnRows(of: [end.xid] + end.subtransactions) }
            if end.committed, let incident = classify(end) { incidents.append(incident) }
            forget([end.xid] + end.subtransactions, committed: end.committed)
            if end.committed {
                end.droppedFiles.forEach {
                    createdFiles[$0] = nil
                    indexFiles.remove($0)
                }
            }
        }
    }

    private func classify(_ end: WALChangeSummary.TransactionEnd) -> Incident? {
        let xids = [end.xid] + end.subtransactions
        func incident(_ kind: Incident.Kind, database: UInt32, tables: [Incident.Table], target: Incident.Target) -> Incident {
            Incident(cluster: cluster, timeline: timeline, commitLSN: end.lsn, commitTime: end.time, xid: end.xid, kind: kind,
                     database: database, tables: tables, target: target)
        }
        if let drop = xids.lazy.compactMap({ databaseDrops[$0] }).first {
            let marked = inplaceUpdates.last { $0.lsn < drop.lsn && ($0.xid == 0 || xids.contains($0.xid)) }
            return incident(.dropDatabase, database: drop.database, tables: [], target: .beforeLSN(marked?.lsn ?? drop.lsn))
        }
        var changed: [RelationFile: WALChangeSummary.RowChanges] = [:]
        for xid in xids {
            for (file, changes) in rowChanges[xid] ?? [:] {
                changed[file, default: .init()].deleted += changes.deleted
                changed[file, default: .init()].updated += changes.updated
                changed[file, default: .init()].blocks.formUnion(changes.blocks)
            }
        }
        let large = changed.filter { $0.value.deleted + $0.value.updated >= rowThreshold }
        let lost = end.droppedFiles.filter { !wasEmpty($0, before: end.lsn) && !indexFiles.contains($0) }
        let dropKind = droppedDataKind(end, lost: lost, xids: xids)
        guard dropKind != nil || !large.isEmpty else { return nil }
        let dropped = dropKind == nil ? [] : lost
        var tables = dropped.map { file in
            Incident.Table(file: file, dropped: true, rowsDeleted: large[file]?.deleted ?? 0, rowsUpdated: large[file]?.updated ?? 0, pages: 0,
                           learned: learnedName(file), learnedAt: classRows[RelationNames.FileKey(file)]?.lsn)
        }
        tables += large.filter { !dropped.contains($0.key) }.sorted { $0.key < $1.key }.map { file, changes in
            Incident.Table(file: file, dropped: false, rowsDeleted: changes.deleted, rowsUpdated: changes.updated, pages: changes.blocks.count,
                           learned: learnedName(file), learnedAt: classRows[RelationNames.FileKey(file)]?.lsn)
        }
        let kind = dropKind ?? (large.values.reduce(0) { $0 + $1.deleted } >= large.values.reduce(0) { $0 + $1.updated } ? .delete : .update)
        // A commit that sent no invalidations names no database; its tables' files do.
        let database = end.database != 0 ? end.database : tables.first { $0.file.database != 0 }?.file.database ?? 0
        // Stopped before a DROP's or TRUNCATE's commit, recovery has replayed its ACCESS EXCLUSIVE lock but not
        // its end: a paused copy would make every read of the table wait. Promotion rolls the transaction back.
        let locks = kind == .dropTable || kind == .truncate
        return incident(kind, database: database, tables: tables, target: .beforeTransaction(xid: end.xid, promote: locks))
    }

    /// The table whose pg_class row, inserted in the WAL read, gave `file` its number; a TOAST relation's (and its
    /// index's) is the table its name gives the OID of, when that table's row lies in the WAL read too.
    private func learnedName(_ file: RelationFile) -> RelationNames.Table? {
        guard let row = classRows[RelationNames.FileKey(file)] else { return nil }
        var name = Substring(row.name)
        if name.hasSuffix(Self.toastIndexSuffix) { name = name.dropLast(Self.toastIndexSuffix.count) }
        if row.namespace == Self.toastNamespace, name.hasPrefix(Self.toastPrefix), let owner = UInt32(name.dropFirst(Self.toastPrefix.count)),
           let table = classRowsByOID[RelationNames.FileKey(database: file.database, number: owner)] {
            return RelationNames.Table(namespace: table.namespace, name: table.name)
        }
        return RelationNames.Table(namespace: row.namespace, name: row.name)
    }

    /// PG_TOAST_NAMESPACE, and the names every TOAST relation and its index get (`pg_toast_<table OID>`,
    /// `pg_toast_<table OID>_index`: toasting.c).
    private static let toastNamespace: UInt32 = 99
    private static let toastPrefix = "pg_toast_"
    private static let toastIndexSuffix = "_index"

    /// Whether `file` was created within the WAL read and nothing wrote to it before `lsn`.
    private func wasEmpty(_ file: RelationFile, before lsn: LSN) -> Bool {
        guard let created = createdFiles[file] else { return false }
        return created.written.map { $0 >= lsn } ?? true
    }

    /// DROP TABLE or TRUNCATE when the commit unlinks files that held data (`lost`) and whose contents the
    /// transaction did not carry into new ones; nil for no such files and for rewrites.
    private func droppedDataKind(_ end: WALChangeSummary.TransactionEnd, lost: [RelationFile], xids: [UInt32]) -> Incident.Kind? {
        guard !lost.isEmpty else { return nil }
        let created = xids.flatMap { creations[$0] ?? [] }
        let deletedClassRow = xids.contains { classRowDeletes.contains($0) }
        guard !created.isEmpty else { return .dropTable }
        if created.count >= end.droppedFiles.count {
            let insertedClassRow = xids.contains { classRowInserts.contains($0) }
            if insertedClassRow && deletedClassRow { return nil }
            // SET TABLESPACE copies each file into another tablespace; a TRUNCATE's new files stay where the old ones were.
            let oldSpaces = Set(end.droppedFiles.map(\.tablespace))
            if created.allSatisfy({ !oldSpaces.contains($0.file.tablespace) }) { return nil }
            let allWritten = created.allSatisfy { creation in
                createdFiles[creation.file]?.written.map { $0 < end.lsn } ?? false
            }
            if allWritten { return nil }
        }
        return deletedClassRow ? .dropTable : .truncate
    }

    /// Names files by the pg_class rows the committed transaction `xids` wrote, in WAL order.
    private mutating func learnRows(of xids: [UInt32]) {
        for row in xids.flatMap({ pendingClassRows[$0] ?? [] }).sorted(by: { $0.lsn < $1.lsn }) {
            classRows[RelationNames.FileKey(database: row.database, number: row.fileNumber)] = row
            classRowsByOID[RelationNames.FileKey(database: row.database, number: row.oid)] = row
        }
    }

    /// Drops what the transaction's records left; an aborted transaction's files never existed, nor its names.
    private mutating func forget(_ xids: [UInt32], committed: Bool) {
        for xid in xids {
            rowChanges[xid] = nil
            pendingClassRows[xid] = nil
            let created = creations.removeValue(forKey: xid) ?? []
            if !committed { created.forEach { createdFiles[$0.file] = nil } }
            classRowInserts.remove(xid)
            classRowDeletes.remove(xid)
            databaseDrops[xid] = nil
        }
    }
}
