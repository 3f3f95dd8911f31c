import Foundation
import Testing
@testable import PITRBackup
@testable import PITRConfig
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

/// What the executor refuses before writing anything, and what it leaves alone when it does.
@Suite struct RestoreExecutorCheckTests {
    static func plan(tablespaces: [BackupDescriptor.Tablespace] = []) -> RestorePlan {
        let backup = BackupDescriptor(
            name: "20261127T010203Z-000000010000000000000002", label: "test", startLSN: LSN(0x2000028), stopLSN: LSN(0x2000100),
            startTime: UTCTime(secondsSinceEpoch: 1_795_000_000), stopTime: UTCTime(secondsSinceEpoch: 1_795_000_001),
            timeline: TimelineID(1), stopTimeline: TimelineID(1), systemIdentifier: 7, serverVersion: 150004, segmentSize: 16 << 20,
            tablespaces: tablespaces, compression: .lz4, cipher: "none", keyID: "", objects: [])
        return RestorePlan(request: RestoreRequest(target: .immediate), backup: backup, targetTimeline: TimelineID(1), path: [],
                           segments: [], stop: nil, backupStoredBytes: 0, walStoredBytes: 0, newestRestorableTime: nil)
    }

    func executor(_ folder: RestoreTestFolder) throws -> RestoreExecutor {
        let settings = try Settings.load(flags: ["TAILTOWN_REPO": "file://" + folder.path + "/repo"], environment: [:],
                                         defaultFile: folder.path + "/absent.conf")
        return RestoreExecutor(repository: Repository(storage: FileStorage(root: folder.path + "/repo"), key: nil),
                               settings: settings, log: Log(level: .error))
    }

    func options(_ target: String) -> RestoreOptions {
        var options = RestoreOptions(targetDirectory: target, executable: "/usr/local/bin/tailtown-pitr")
        options.owner = "postgres"
        return options
    }

    @Test func refusesEveryUnusableDestinationBeforeWriting() throws {
        let folder = try RestoreTestFolder()
        let executor = try executor(folder)
        let target = folder.path + "/data"

        #expect(throws: RestoreError.notAbsolute(what: "--target-dir", path: "data")) { _ = try executor.check(Self.plan(), options("data")) }

        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try Data().write(to: URL(fileURLWithPath: target + "/PG_VERSION"))
        #expect(throws: RestoreError.targetNotEmpty(directory: target)) { _ = try executor.check(Self.plan(), options(target)) }
        try Data().write(to: URL(fileURLWithPath: RestoreMarker.path(in: target)))
        #expect(throws: RestoreError.interrupted(directory: target)) { _ = try executor.check(Self.plan(), options(target)) }

        let fresh = folder.path + "/fresh"
        var mapped = options(fresh)
        mapped.tablespaceMap = [99: folder.path + "/elsewhere"]
        #expect(throws: RestoreError.tablespaceMapUnknown(oid: 99, backup: Self.plan().backup.name)) { _ = try executor.check(Self.plan(), mapped) }
        let withTablespace = Self.plan(tablespaces: [.init(oid: 16385, location: target)])
        #expect(throws: RestoreError.tablespaceNotEmpty(oid: 16385, directory: target)) { _ = try executor.check(withTablespace, options(fresh)) }
        var nobody = options(fresh)
        nobody.owner = "no-such-user-here"
        #expect(throws: RestoreError.unknownOwner(user: "no-such-user-here")) { _ = try executor.check(Self.plan(), nobody) }
        var inside = options(fresh)
        inside.recoveryConfigFile = fresh + "/secrets.conf"
        #expect(throws: RestoreError.recoveryConfigInsideTarget(path: fresh + "/secrets.conf", target: fresh)) { _ = try executor.check(Self.plan(), inside) }

        #expect(folder.listing() == ["data", "data/PG_VERSION", "data/" + RestoreMarker.fileName])
    }

    @Test func checkedDestinationsNameTheDefaultsAndTheMappedTablespace() throws {
        let folder = try RestoreTestFolder()
        var options = options(folder.path + "/data")
        options.tablespaceMap = [16385: folder.path + "/moved"]
        let destinations = try executor(folder).check(Self.plan(tablespaces: [.init(oid: 16385, location: "/srv/busy")]), options)
        #expect(destinations.tablespaces == [16385: folder.path + "/moved"])
        #expect(destinations.config.path == folder.path + "/data.tailtown-pitr.conf")
        #expect(destinations.owner.name == "postgres")
    }
}
