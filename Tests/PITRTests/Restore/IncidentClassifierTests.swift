import Testing
@testable import PITRRestore
@testable import PITRWAL

/// The classifier's rules on summaries shaped like the records each statement writes (the integration test
/// `IncidentsTests` runs the statements themselves).
@Suite struct IncidentClassifierTests {
    private let cluster = ClusterIdentity(majorVersion: 17, systemIdentifier: 7_300_000_000_000_000_001)
    private let old = RelationFile(tablespace: 1663, database: 5, number: 16384)
    private let oldIndex = RelationFile(tablespace: 1663, database: 5, number: 16387)
    private let new = RelationFile(tablespace: 1663, database: 5, number: 16390)
    private let newIndex = RelationFile(tablespace: 1663, database: 5, number: 16391)
    private let time = PostgresTimestamp(rawValue: 849_000_000_000_000)

    private func end(_ xid: UInt32, at lsn: UInt64, committed: Bool = true, subtransactions: [UInt32] = [],
                     dropping: [RelationFile] = []) -> WALChangeSummary.TransactionEnd {
        .init(xid: xid, committed: committed, lsn: LSN(lsn), time: time, database: 5, subtransactions: subtransactions, droppedFiles: dropping)
    }

    private func classify(_ summaries: [WALChangeSummary], threshold: Int = 1000) -> [Incident] {
        var classifier = IncidentClassifier(cluster: cluster, timeline: TimelineID(1), rowThreshold: threshold)
        summaries.forEach { classifier.add($0) }
        return classifier.incidents
    }

    @Test func aDropIsListedAndItsAbortIsNot() {
        var summary = WALChangeSummary()
        summary.classRowDeletes = [10, 11]
        summary.transactionEnds = [end(10, at: 0x2000, dropping: [old, oldIndex]), end(11, at: 0x3000, committed: false, dropping: [new])]
        let incidents = classify([summary])
        #expect(incidents.map(\.kind) == [.dropTable] && incidents.first?.xid == 10)
        #expect(incidents.first?.tables.map(\.file) == [old, oldIndex])
        #expect(incidents.first?.target == .beforeTransaction(xid: 10, promote: true))
        #expect(incidents.first?.id == "1-2000")
    }

    @Test func indexFilesAreNotLosses() {
        var summary = WALChangeSummary()
        summary.indexFiles = [oldIndex, newIndex]
        summary.classRowDeletes = [12, 13]
        // DROP INDEX: nothing listed. DROP TABLE: the table's file, not its index's.
        summary.transactionEnds = [end(12, at: 0x2000, dropping: [newIndex]), end(13, at: 0x3000, dropping: [old, oldIndex])]
        let incidents = classify([summary])
        #expect(incidents.map(\.xid) == [13] && incidents.first?.tables.map(\.file) == [old])
    }

    @Test func rewritesAreNotIncidentsButATruncateIs() {
        // VACUUM FULL: new files through a transient pg_class row, inserted and deleted; the new heap written or not.
        var vacuumFull = WALChangeSummary()
        vacuumFull.fileCreations = [.init(xid: 20, file: new, lsn: LSN(0x1100)), .init(xid: 20, file: newIndex, lsn: LSN(0x1200))]
        vacuumFull.classRowInserts = [20]
        vacuumFull.classRowDeletes = [20]
        vacuumFull.transactionEnds = [end(20, at: 0x1F00, dropping: [old, oldIndex])]
        // REINDEX: a new index file, built (written) before the commit.
        var reindex = WALChangeSummary()
        let rebuilt = RelationFile(tablespace: 1663, database: 5, number: 16400)
        reindex.fileCreations = [.init(xid: 21, file: rebuilt, lsn: LSN(0x2100))]
        reindex.firstReferences = [rebuilt: LSN(0x2200)]
        reindex.transactionEnds = [end(21, at: 0x2F00, dropping: [newIndex])]
        // TRUNCATE: new files, the heap's left empty (the index's metapage written).
        var truncate = WALChangeSummary()
        let emptyHeap = RelationFile(tablespace: 1663, database: 5, number: 16410)
        let emptyIndex = RelationFile(tablespace: 1663, database: 5, number: 16411)
        truncate.fileCreations = [.init(xid: 22, file: emptyHeap, lsn: LSN(0x3100)), .init(xid: 22, file: emptyIndex, lsn: LSN(0x3200))]
        truncate.firstReferences = [emptyIndex: LSN(0x3300), emptyHeap: LSN(0x3F80)]   // the heap written only after the commit
        truncate.transactionEnds = [end(22, at: 0x3F00, dropping: [new, rebuilt])]
        // SET TABLESPACE: the heap copied into tablespace 16500, its empty TOAST table too.
        var move = WALChangeSummary()
        let moved = RelationFile(tablespace: 16500, database: 5, number: 16420)
        let movedToast = RelationFile(tablespace: 16500, database: 5, number: 16421)
        move.fileCreations = [.init(xid: 23, file: moved, lsn: LSN(0x5100)), .init(xid: 23, file: movedToast, lsn: LSN(0x5200))]
        move.firstReferences = [moved: LSN(0x5300)]
        let heldRows = RelationFile(tablespace: 1663, database: 5, number: 16430)
        move.transactionEnds = [end(23, at: 0x5F00, dropping: [heldRows, emptyHeap])]
        let incidents = classify([vacuumFull, reindex, truncate, move])
        #expect(incidents.map(\.kind) == [.truncate] && incidents.first?.xid == 22)
    }

    @Test func filesThatNeverHeldDataAreNoLoss() {
        // CREATE TABLE, then TRUNCATE (pgbench -i) before anything was written to it: nothing is lost.
        var summary = WALChangeSummary()
        summary.fileCreations = [.init(xid: 30, file: old, lsn: LSN(0x1100)), .init(xid: 31, file: new, lsn: LSN(0x2100))]
        summary.transactionEnds = [end(30, at: 0x1F00), end(31, at: 0x2F00, dropping: [old])]
        #expect(classify([summary]).isEmpty)
        // Once a record wrote to it, dropping it is a loss.
        summary.firstReferences = [old: LSN(0x1500)]
        #expect(classify([summary]).map(\.kind) == [.truncate])
    }

    @Test func rowsOfSubtransactionsCountForTheirTopTransaction() {
        var first = WALChangeSummary()
        first.rowChanges = [.init(xid: 41, file: old): .init(deleted: 700, blocks: [1, 2]),
                            .init(xid: 40, file: old): .init(deleted: 400, blocks: [3])]
        var second = WALChangeSummary()
        second.rowChanges = [.init(xid: 42, file: new): .init(updated: 999, blocks: [7])]
        second.transactionEnds = [end(40, at: 0x9000, subtransactions: [41]), end(42, at: 0x9100)]
        let incidents = classify([first, second])
        #expect(incidents.map(\.kind) == [.delete])
        #expect(incidents.first?.tables == [.init(file: old, dropped: false, rowsDeleted: 1100, rowsUpdated: 0, pages: 3)])
        #expect(incidents.first?.target == .beforeTransaction(xid: 40, promote: false))
        #expect(classify([first, second], threshold: 999).map(\.kind) == [.delete, .update])
    }

    @Test func dropDatabaseRestoresToBeforeTheInPlaceUpdate() {
        var summary = WALChangeSummary()
        summary.sharedInplaceUpdates = [.init(xid: 0, lsn: LSN(0x100)), .init(xid: 77, lsn: LSN(0x180)), .init(xid: 0, lsn: LSN(0x200))]
        summary.databaseDrops = [.init(xid: 50, database: 16441, lsn: LSN(0x300))]
        summary.transactionEnds = [end(50, at: 0x400)]
        let incidents = classify([summary])
        #expect(incidents.map(\.kind) == [.dropDatabase] && incidents.first?.database == 16441)
        #expect(incidents.first?.target == .beforeLSN(LSN(0x200)))
        #expect(incidents.first?.restoreArguments(namingCluster: true, namingTimeline: true)
                == ["--lsn", "0/200", "--exclusive", "--timeline", "1", "--cluster", "17-7300000000000000001"])
    }
}
