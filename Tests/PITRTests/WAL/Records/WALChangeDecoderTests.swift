import Testing
@testable import PITRWAL

/// Records built field by field as heapam.c, storage.c, dbcommands.c and xact.c write them, summarized
/// for `incidents`; the commit's dropped-statistics part on 17's layout (12-byte entries) and 18's (16).
@Suite struct WALChangeDecoderTests {
    private let time: Int64 = 849_000_000_123_456
    private let table = RelationFile(tablespace: 1663, database: 5, number: 16384)

    private func record(rmid: UInt8, info: UInt8, xid: UInt32, blocks: [(RelationFile, UInt32)] = [], main: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        for (id, (file, number)) in blocks.enumerated() {
            // XLogRecordBlockHeader: id, fork_flags (main fork, no image, no data), data_length; then the relation and block.
            body += [UInt8(id), 0x00, 0, 0]
            body += SyntheticWAL.bytes(of: file.tablespace) + SyntheticWAL.bytes(of: file.database) + SyntheticWAL.bytes(of: file.number)
            body += SyntheticWAL.bytes(of: number)
        }
        return SyntheticWAL.record(rmid: rmid, info: info, xid: xid, body: body + SyntheticWAL.mainDataHeader(main.count) + main)
    }

    private func summarize(_ records: [[UInt8]], majorVersion: Int = 17) throws -> WALChangeSummary {
        var summary = WALChangeSummary()
        for (position, record) in records.enumerated() {
            try record.withUnsafeBytes {
                try WALChangeDecoder.absorb($0, lsn: LSN(UInt64(0x1000 + position * 0x100)), majorVersion: majorVersion, into: &summary)
            }
        }
        return summary
    }

    /// xl_heap_delete: xmax, offnum, infobits_set, flags.
    private func delete(flags: UInt8) -> [UInt8] {
        SyntheticWAL.bytes(of: UInt32(0)) + SyntheticWAL.bytes(of: UInt16(1)) + [0, flags]
    }

    @Test func heapDeletesAndUpdatesCountPerTransactionAndFile() throws {
        let summary = try summarize([
            record(rmid: 10, info: 0x10, xid: 700, blocks: [(table, 3)], main: delete(flags: 0)),
            record(rmid: 10, info: 0x10, xid: 700, blocks: [(table, 3)], main: delete(flags: 0x01)),
            record(rmid: 10, info: 0x10, xid: 700, blocks: [(table, 4)], main: delete(flags: 0x08)),    // IS_SUPER: not a DELETE
            record(rmid: 10, info: 0x40, xid: 701, blocks: [(table, 9)], main: [UInt8](repeating: 0, count: 14)),
        ])
        let deleted = summary.rowChanges[.init(xid: 700, file: table)]
        #expect(deleted?.deleted == 2 && deleted?.updated == 0 && deleted?.blocks == [3])
        #expect(summary.rowChanges[.init(xid: 701, file: table)]?.updated == 1)
        #expect(summary.firstReferences[table] == LSN(0x1000))
    }

    @Test func catalogRowsFileCreationsAndDatabaseDrops() throws {
        let pgClass = RelationFile(tablespace: 1663, database: 5, number: 1259)
        let pgDatabase = RelationFile(tablespace: 1664, database: 0, number: 1262)
        func create(_ file: RelationFile, fork: Int32) -> [UInt8] {
            SyntheticWAL.bytes(of: file.tablespace) + SyntheticWAL.bytes(of: file.database) + SyntheticWAL.bytes(of: file.number) + SyntheticWAL.bytes(of: fork)
        }
        let summary = try summarize([
            record(rmid: 10, info: 0x00, xid: 800, blocks: [(pgClass, 0)], main: [0, 0, 0]),             // INSERT into pg_class
            record(rmid: 10, info: 0x10, xid: 801, blocks: [(pgClass, 0)], main: delete(flags: 0)),      // DELETE from pg_class
            record(rmid: 2, info: 0x10, xid: 802, main: create(table, fork: 0)),
            record(rmid: 2, info: 0x10, xid: 802, main: create(table, fork: 1)),                         // the free space map: not a new relation
            record(rmid: 10, info: 0x70, xid: 0, blocks: [(pgDatabase, 0)], main: [1, 0]),                // in-place update of pg_database
            record(rmid: 4, info: 0x20, xid: 803, main: SyntheticWAL.bytes(of: UInt32(16441)) + SyntheticWAL.bytes(of: Int32(1)) + SyntheticWAL.bytes(of: UInt32(1663))),
            // ALTER DATABASE SET TABLESPACE removing the old directory, from a transaction without an xid.
            record(rmid: 4, info: 0x20, xid: 0, main: SyntheticWAL.bytes(of: UInt32(16442)) + SyntheticWAL.bytes(of: Int32(1)) + SyntheticWAL.bytes(of: UInt32(1663))),
        ])
        #expect(summary.classRowInserts == [800] && summary.classRowDeletes == [801])
        #expect(summary.fileCreations.map(\.file) == [table] && summary.fileCreations.first?.xid == 802)
        #expect(summary.sharedInplaceUpdates.map(\.lsn) == [LSN(0x1400)])
        #expect(summary.databaseDrops.map(\.database) == [16441] && summary.databaseDrops.first?.lsn == LSN(0x1500))
        #expect(summary.indexFiles.isEmpty)
    }

    @Test func indexAccessMethodsMarkTheirFiles() throws {
        let btree = RelationFile(tablespace: 1663, database: 5, number: 16390)
        let sequence = RelationFile(tablespace: 1663, database: 5, number: 16395)
        let summary = try summarize([
            record(rmid: 11, info: 0x00, xid: 900, blocks: [(btree, 1)], main: [0, 0]),       // XLOG_BTREE_INSERT_LEAF
            record(rmid: 15, info: 0x00, xid: 900, blocks: [(sequence, 0)], main: [0, 0]),    // XLOG_SEQ_LOG: not an index
            record(rmid: 10, info: 0x00, xid: 900, blocks: [(table, 0)], main: [0, 0, 0]),
        ])
        #expect(summary.indexFiles == [btree])
        #expect(summary.firstReferences.keys.sorted() == [table, btree, sequence].sorted())
    }

    /// A COMMIT PREPARED with every part: database, two subtransactions, one file to drop, two dropped-statistics
    /// entries of `statsSize` bytes, invalidations, then the prepared xid.
    private func commitPrepared(statsSize: Int) -> [UInt8] {
        var main = SyntheticWAL.bytes(of: time) + SyntheticWAL.bytes(of: UInt32(0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x100))
        main += SyntheticWAL.bytes(of: UInt32(5)) + SyntheticWAL.bytes(of: UInt32(1663))
        main += SyntheticWAL.bytes(of: Int32(2)) + SyntheticWAL.bytes(of: UInt32(901)) + SyntheticWAL.bytes(of: UInt32(902))
        main += SyntheticWAL.bytes(of: Int32(1)) + SyntheticWAL.bytes(of: table.tablespace) + SyntheticWAL.bytes(of: table.database) + SyntheticWAL.bytes(of: table.number)
        main += SyntheticWAL.bytes(of: Int32(2)) + [UInt8](repeating: 7, count: 2 * statsSize)
        main += SyntheticWAL.bytes(of: Int32(1)) + [UInt8](repeating: 6, count: 16)
        main += SyntheticWAL.bytes(of: UInt32(4711)) + Array("gid\0".utf8)
        return record(rmid: 1, info: 0x30 | 0x80, xid: 0, main: main)
    }

    @Test(arguments: [(17, 12), (18, 16)])
    func commitListsFilesSubtransactionsAndThePreparedXID(majorVersion: Int, statsSize: Int) throws {
        let end = try #require(try summarize([commitPrepared(statsSize: statsSize)], majorVersion: majorVersion).transactionEnds.first)
        #expect(end.committed && end.xid == 4711 && end.database == 5)
        #expect(end.subtransactions == [901, 902] && end.droppedFiles == [table])
        #expect(end.time == PostgresTimestamp(rawValue: time))
    }

    @Test func eachMajorsStatisticsEntrySizeMatters() throws {
        // Read with the other major's entry size, the prepared xid lands elsewhere.
        let read17As18 = try? summarize([commitPrepared(statsSize: 12)], majorVersion: 18).transactionEnds.first?.xid
        let read18As17 = try? summarize([commitPrepared(statsSize: 16)], majorVersion: 17).transactionEnds.first?.xid
        #expect(read17As18 != 4711 && read18As17 != 4711)
        #expect(WALTransactionRecord.statsItemSize(majorVersion: 15) == 12 && WALTransactionRecord.statsItemSize(majorVersion: 18) == 16)
    }
}
