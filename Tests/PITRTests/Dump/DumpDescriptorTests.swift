import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRDump
@testable import PITRPipeline
@testable import PITRRetention
@testable import PITRSupport

@Suite struct DumpDescriptorTests {
    static func dump(_ run: String, database: String?, stop: String) -> DumpDescriptor {
        let archive = database.map(DumpDescriptor.archive(of:)) ?? DumpDescriptor.globalsArchive
        return DumpDescriptor(name: run, database: database, startTime: UTCTime(iso8601: stop)!, stopTime: UTCTime(iso8601: stop)!,
                              serverVersion: 150_014, tool: "pg_dump (PostgreSQL) 15.14", compression: .lz4, cipher: "aes-256-gcm",
                              keyID: "0123456789abcdef", sha256: String(repeating: "ab", count: 32),
                              objects: [.init(name: archive + ".0000", archive: archive, rawBytes: 1 << 30, storedBytes: 600 << 20),
                                        .init(name: archive + ".0001", archive: archive, rawBytes: 12, storedBytes: 80)])
    }

    @Test func textRoundTripsAndNamesAreSafeKeys() throws {
        let dump = Self.dump("20261206T023000Z", database: "shop floor/ü", stop: "2026-12-06T02:31:00Z")
        #expect(dump.archive == "db.shop%20floor%2F%C3%BC")
        #expect(dump.key == "dumps/20261206T023000Z/db.shop%20floor%2F%C3%BC.info")
        let read = try DumpDescriptor(text: dump.text, object: "x")
        #expect(read == dump)
        #expect(read.rawBytes == (1 << 30) + 12 && read.storedBytes == (600 << 20) + 80)
        let globals = try DumpDescriptor(text: Self.dump("20261206T023000Z", database: nil, stop: "2026-12-06T02:30:01Z").text, object: "x")
        #expect(globals.archive == "globals" && !globals.isCustomFormat)
        var bad = dump.text
        bad.values.removeAll { $0.key == "sha256" }
        #expect(throws: DumpError.unreadableDescriptor(object: "x", reason: "no sha256")) { try DumpDescriptor(text: bad, object: "x") }
        // The last piece is flagged last in the identity a reader expects.
        #expect(dump.objectIdentity(of: dump.objects[1]).lastPiece && !dump.objectIdentity(of: dump.objects[0]).lastPiece)
    }

    @Test func retentionKeepsTheNewestRunOfEachPeriodAndTheNewest() throws {
        let days = ["2026-12-01T02:30:00Z", "2026-12-05T02:30:00Z", "2026-12-05T14:00:00Z", "2026-12-06T02:30:00Z"]
        let runs = days.map { DumpRun(name: UTCTime(iso8601: $0)!.compact, dumps: [Self.dump(UTCTime(iso8601: $0)!.compact, database: "shop", stop: $0)]) }
        let retention = DumpRetention(runs: runs, policy: try RetentionPolicy(parsing: "daily=2", setting: "TAILTOWN_RETAIN_DUMPS"),
                                      now: UTCTime(iso8601: "2026-12-06T03:00:00Z")!)
        #expect(retention.decisions.map(\.classes) == [[], [], [.daily], [.daily, .newest]])
        #expect(retention.deleted.map(\.name) == [runs[0].name, runs[1].name])
        let settings = try Settings.load(flags: [:], environment: ["TAILTOWN_RETAIN": "daily=3"], defaultFile: "/nonexistent")
        #expect(try settings.dumpRetentionPolicy() == RetentionPolicy(counts: [.daily: 3]))
        let own = try Settings.load(flags: [:], environment: ["TAILTOWN_RETAIN": "daily=3", "TAILTOWN_RETAIN_DUMPS": "weekly=2"], defaultFile: "/nonexistent")
        #expect(try own.dumpRetentionPolicy() == RetentionPolicy(counts: [.weekly: 2]))
    }
}
