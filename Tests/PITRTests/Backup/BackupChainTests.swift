import Testing
@testable import PITRBackup
@testable import PITRSupport
@testable import PITRWAL

@Suite struct BackupChainTests {
    static func backup(_ name: String, start: UInt64, parent: String? = nil, system: UInt64 = 7, version: Int = 170004) -> BackupDescriptor {
        BackupDescriptor(
            name: name, label: "test", startLSN: LSN(start << 24), stopLSN: LSN(start << 24 + 0x100), startTime: UTCTime(secondsSinceEpoch: Int64(start)),
            stopTime: UTCTime(secondsSinceEpoch: Int64(start) + 1), timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: system,
            serverVersion: version, segmentSize: 16 << 20, tablespaces: [], compression: .lz4, cipher: "none", keyID: "", objects: [],
            type: parent == nil ? .full : .incremental, parent: parent, detection: parent == nil ? nil : .summaries)
    }

    @Test func aChainRunsNewestFirstDownToItsFullBackup() throws {
        let full = Self.backup("a", start: 1), first = Self.backup("b", start: 2, parent: "a"), second = Self.backup("c", start: 3, parent: "b")
        let other = Self.backup("x", start: 4)
        let chain = try BackupChain(of: second, among: [other, full, second, first])
        #expect(chain.names == ["c", "b", "a"])
        #expect(chain.newest == second && chain.full == full)
        #expect(try BackupChain(of: full, among: [full]).names == ["a"])
    }

    @Test func refusesBrokenChainsNamingTheBackup() throws {
        let full = Self.backup("a", start: 1)
        let orphan = Self.backup("c", start: 3, parent: "b")
        #expect(throws: BackupChainError.missingParent(backup: "c", parent: "b")) { try BackupChain(of: orphan, among: [full, orphan]) }
        let onOrphan = Self.backup("d", start: 4, parent: "c")
        #expect(throws: BackupChainError.missingParent(backup: "d", parent: "b")) { try BackupChain(of: onOrphan, among: [full, orphan, onOrphan]) }

        let foreign = Self.backup("f", start: 1, system: 8), onForeign = Self.backup("g", start: 2, parent: "f")
        #expect(throws: BackupChainError.self) { try BackupChain(of: onForeign, among: [foreign, onForeign]) }
        let older = Self.backup("m", start: 1, version: 160004), onOlder = Self.backup("n", start: 2, parent: "m")
        let error = #expect(throws: BackupChainError.self) { try BackupChain(of: onOlder, among: [older, onOlder]) }
        #expect(error?.description.contains("backup n cannot be restored: its parent m") == true)
        #expect(error?.description.contains("PostgreSQL 16") == true)

        let loopA = Self.backup("p", start: 1, parent: "q"), loopB = Self.backup("q", start: 2, parent: "p")
        #expect(throws: BackupChainError.self) { try BackupChain(of: loopB, among: [loopA, loopB]) }
        let selfParent = Self.backup("s", start: 2, parent: "s")
        #expect(throws: BackupChainError.cycle(backup: "s", at: "s")) { try BackupChain(of: selfParent, among: [selfParent]) }

        let child = Self.backup("u", start: 2, parent: "t")
        let unreadable = BackupCatalog.Unreadable(backup: "t", error: BackupError.unreadableDescriptor(object: "backups/t/backup.info", reason: "no name"))
        let unusable = #expect(throws: BackupChainError.self) { try BackupChain(of: child, among: [child], unreadable: [unreadable]) }
        #expect(unusable?.description == "backup u cannot be restored: its chain needs backup t, whose descriptor cannot be used: backup descriptor backups/t/backup.info is unreadable: no name")
    }
}
