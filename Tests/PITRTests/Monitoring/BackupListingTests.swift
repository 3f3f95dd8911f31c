import Testing
@testable import PITRBackup
@testable import PITRMonitoring
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRWAL

@Suite struct BackupListingTests {
    /// A full backup, an incremental on it, and an incremental whose parent is gone.
    static func chain() -> [BackupDescriptor] {
        func backup(_ name: String, _ stop: Int64, parent: String?, raw: Int, stored: Int, represented: Int?) -> BackupDescriptor {
            BackupDescriptor(
                name: name, label: "", startLSN: LSN(UInt64(stop) << 8), stopLSN: LSN(UInt64(stop) << 8 + 0x100), startTime: UTCTime(secondsSinceEpoch: stop - 60),
                stopTime: UTCTime(secondsSinceEpoch: stop), timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: 7,
                serverVersion: 170002, segmentSize: 16 << 20, tablespaces: [], compression: .lz4, cipher: "none", keyID: "",
                objects: [.init(name: "base.tar.0000", archive: "base.tar", rawBytes: raw, storedBytes: stored)],
                type: parent == nil ? .full : .incremental, parent: parent, detection: parent == nil ? nil : .summaries,
                representedBytes: represented)
        }
        return [backup("F", 1_795_741_400, parent: nil, raw: 4 << 30, stored: 1 << 30, represented: nil),
                backup("I", 1_795_827_800, parent: "F", raw: 100 << 20, stored: 40 << 20, represented: 4 << 30),
                backup("O", 1_795_827_900, parent: "GONE", raw: 100 << 20, stored: 40 << 20, represented: 4 << 30)]
    }

    @Test func tableShowsTypeParentChainAndBytesStoredAgainstRepresented() {
        let backups = Self.chain()
        let now = UTCTime(secondsSinceEpoch: 1_795_830_000)
        let retention = RetentionClassification(backups: backups, permanent: [], policy: .standard, now: now)
        let lines = BackupListing.table(backups, now: now, retention: retention).split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        #expect(lines[0] == "NAME CLUSTER FINISHED (UTC) AGE TYPE PARENT CHAIN STORED / REPRESENTED LSN RANGE TL KEPT AS")
        #expect(lines[1].contains(" full - 1 1.0 GiB / 4.0 GiB ") && lines[1].hasSuffix("daily,parent"))
        #expect(lines[2].contains(" incremental F 2 40.0 MiB / 4.0 GiB ") && lines[2].hasSuffix("daily,weekly,monthly,yearly,newest"))
        #expect(lines[3].contains(" incremental GONE 1 broken 40.0 MiB / 4.0 GiB "))
    }

    @Test func jsonAddsTheChainAndKeepsEveryField() {
        let backups = Self.chain()
        let now = UTCTime(secondsSinceEpoch: 1_795_830_000)
        let retention = RetentionClassification(backups: backups, permanent: [], policy: .standard, now: now)
        let objects = BackupListing.json(backups, retention: retention).split(separator: "\n")
        #expect(objects[0].contains("\"raw_bytes\":4294967296,\"stored_bytes\":1073741824,\"type\":\"full\",\"parent\":null,\"detection\":null,"
                                    + "\"chain_length\":1,\"chain_problem\":null,\"represented_bytes\":4294967296,\"kept_until\":\"never\""))
        #expect(objects[1].contains("\"type\":\"incremental\",\"parent\":\"F\",\"detection\":\"summaries\",\"chain_length\":2,\"chain_problem\":null,"
                                    + "\"represented_bytes\":4294967296,\"kept_until\":\"never\",\"retention\":[\"daily\",\"weekly\",\"monthly\",\"yearly\",\"newest\"]"))
        #expect(objects[2].contains("\"chain_length\":1,\"chain_problem\":\"its chain needs GONE, which is not in the repository\""))
        #expect(objects[1].contains("\"name\":\"I\",\"cluster\":\"17-7\",\"label\":\"\"") && objects[1].contains("\"objects\":[{\"name\":\"base.tar.0000\""))
    }
}
