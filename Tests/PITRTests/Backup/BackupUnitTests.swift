import Testing
@testable import PITRBackup
@testable import PITRMonitoring
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRWAL

@Suite struct BaseBackupStatementTests {
    @Test func optionListWithoutServerWait() {
        let command = BaseBackupStatement(label: "it's", checkpoint: .fast)
        #expect(command.text == "BASE_BACKUP ( LABEL 'it''s', PROGRESS, CHECKPOINT 'fast', WAIT false, MANIFEST 'yes', TARGET 'client' )")
        #expect(BaseBackupStatement(label: "x", checkpoint: .spread).text.contains("CHECKPOINT 'spread'"))
        #expect(BaseBackupStatement(label: "x", checkpoint: .fast, incremental: true).text.hasSuffix("TARGET 'client', INCREMENTAL )"))
    }
}

final class BytesSource: ByteSource {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count)
        for i in 0..<count { buffer[i] = bytes[i] }
        bytes.removeFirst(count)
        return count
    }
}

@Suite struct BoundedSourceTests {
    @Test func endsAfterLimitAndLeavesTheRest() throws {
        let source = BytesSource(Array(0..<100))
        let first = BoundedSource(source, limit: 64)
        var buffer = [UInt8](repeating: 0, count: 50)
        var got: [UInt8] = []
        while true {
            let n = try buffer.withUnsafeMutableBytes { try first.read(into: $0) }
            if n == 0 { break }
            got += buffer[..<n]
        }
        #expect(got == Array(0..<64))
        #expect(first.isFull)
        let second = BoundedSource(source, limit: 64)
        let n = try buffer.withUnsafeMutableBytes { try second.read(into: $0) }
        #expect(n == 36 && !second.isFull)
    }
}

@Suite struct BackupDescriptorTests {
    static let sample = BackupDescriptor(
        name: "20261127T010203Z-000000010000000000000002", label: "nightly", startLSN: LSN(0x2000028), stopLSN: LSN(0x3000100),
        startTime: UTCTime(secondsSinceEpoch: 1_795_741_323), stopTime: UTCTime(secondsSinceEpoch: 1_795_741_400),
        stopMoment: PostgresTimestamp(unixSeconds: 1_795_741_400, microseconds: 123_456), timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: 7_312_345_678_901_234_567, serverVersion: 150004,
        segmentSize: 16 << 20, tablespaces: [.init(oid: 16389, location: "/srv/pg ts/one")], compression: .lz4,
        cipher: "aes-256-gcm", keyID: "abcd",
        objects: [.init(name: "16389.tar.0000", archive: "16389.tar", rawBytes: 10, storedBytes: 5),
                  .init(name: "base.tar.0000", archive: "base.tar", rawBytes: 100, storedBytes: 50),
                  .init(name: "backup_manifest.0000", archive: "backup_manifest", rawBytes: 7, storedBytes: 9)])

    @Test func roundTripsThroughItsText() throws {
        let parsed = try BackupDescriptor(parsing: Self.sample.text.bytes, object: "d")
        #expect(parsed == Self.sample)
        #expect(Self.sample.text.bytes.count > 0 && String(decoding: Self.sample.text.bytes, as: UTF8.self).contains("stop-moment=2026-11-27 01:03:20.123456+00"))
        #expect(parsed.rawBytes == 117 && parsed.storedBytes == 64)
        #expect(Self.sample.name == BackupDescriptor.makeName(startTime: Self.sample.startTime,
                                                              startSegment: try WALSegmentName(parsing: "000000010000000000000002")))
    }

    @Test func refusesAnUnknownFormat() {
        #expect(throws: BackupError.self) { try BackupDescriptor(parsing: Array("format=2\n".utf8), object: "d") }
        #expect(throws: BackupError.self) { try BackupDescriptor(parsing: Array("format=1\nname=x\n".utf8), object: "d") }
    }

    @Test func walFilesRunFromStartToStopSegmentThenTheBackupFile() {
        let files = WALWait.files(for: Self.sample, segmentSize: .standard).map(\.fileName)
        #expect(files == ["000000010000000000000002", "000000010000000000000003", "000000010000000000000002.00000028.backup"])
    }

    @Test func listingShowsNewestLastAndJSONEscapes() {
        let now = UTCTime(secondsSinceEpoch: 1_795_741_400 + 3700)
        let retention = RetentionClassification(backups: [Self.sample], permanent: [], policy: .standard, now: now)
        let table = BackupListing.table([Self.sample], now: now, retention: retention)
        #expect(table.contains("2026-11-27T") && table.contains("1h1m") && table.contains("0/2000028-0/3000100"))
        #expect(table.contains("KEPT AS") && table.contains("daily,weekly,monthly,yearly,newest"))
        let json = BackupListing.json([Self.sample], retention: retention)
        #expect(json.contains("\"retention\":[\"daily\",\"weekly\",\"monthly\",\"yearly\",\"newest\"]"))
        #expect(json.contains("\"location\":\"/srv/pg ts/one\"") && json.contains("\"system_identifier\":\"7312345678901234567\""))
        #expect("a\"b\\c\n\u{1}".jsonLiteral == "\"a\\\"b\\\\c\\n\\u0001\"")
    }
}

@Suite struct BackupSupportTests {
    @Test func utcTimeFormatsAndParses() {
        let time = UTCTime(secondsSinceEpoch: 1_795_741_323)
        #expect(time.iso8601 == "2026-11-27T01:02:03Z")
        #expect(time.compact == "20261127T010203Z")
        #expect(UTCTime(iso8601: time.iso8601) == time)
        #expect(UTCTime(iso8601: "yesterday") == nil)
    }

    @Test func progressLineHasBytesRateAndETA() {
        let line = BackupProgress.line(done: 512 << 20, estimated: 1 << 30, elapsed: 4)
        #expect(line.contains(" 50%") && line.contains("512.0 MiB / 1.0 GiB") && line.contains("134.2 MB/s") && line.contains("ETA 0:04"))
    }

    @Test func hintsForCommonConnectionFailures() {
        #expect(BackupError.cannotConnect(message: "FATAL: number of requested standby connections exceeds max_wal_senders (currently 0)").description.contains("max_wal_senders above"))
        #expect(BackupError.cannotConnect(message: "FATAL: must be superuser or replication role to start walsender").description.contains("WITH REPLICATION"))
        #expect(BackupError.cannotConnect(message: "connection to server on socket \"/x/.s.PGSQL.5432\" failed: No such file or directory").description.contains("is the server running"))
    }
}
