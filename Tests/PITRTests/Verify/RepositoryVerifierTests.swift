import Foundation
import Testing
@testable import PITRBackup
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL

@Suite struct RepositoryVerifierTests {
    func verify(_ scenario: RetentionScenario, deep: Bool = false) throws -> VerifyReport {
        RepositoryVerifier(inventory: try RepositoryInventory.load(repository: scenario.repo.repository),
                           policy: RetentionScenario.policy, now: RetentionScenario.now, deep: deep).run()
    }

    func applyRetention(_ scenario: RetentionScenario) throws {
        try RetentionPlanner(inventory: try RepositoryInventory.load(repository: scenario.repo.repository))
            .plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
            .execute(on: scenario.repo.storage, log: Log(level: .error))
    }

    @Test func acceptsTheRepositoryBeforeAndAfterRetention() throws {
        let scenario = try RetentionScenario()
        let before = try verify(scenario)
        #expect(before.isSound, "\(before.text)")
        #expect(before.backups == 7 && before.backupObjects == 14)
        try applyRetention(scenario)
        let after = try verify(scenario, deep: true)
        #expect(after.isSound, "\(after.text)")
        #expect(after.backups == 5 && after.walFiles == 37)
        #expect(after.text.hasSuffix("each decoded and authenticated: all is well\n"))
    }

    @Test func namesAMissingMiddleSegmentAndTheTimeItCuts() throws {
        let scenario = try RetentionScenario()
        try applyRetention(scenario)
        try scenario.repo.storage.remove(scenario.segmentKeys(1, 55...56)[0])
        try scenario.repo.storage.remove(scenario.segmentKeys(1, 55...56)[1])
        let report = try verify(scenario)
        #expect(report.problems.count == 1)
        let gap = try #require(report.gaps.first)
        #expect(gap.first.fileName == "000000010000000000000037" && gap.last.fileName == "000000010000000000000038" && gap.count == 2)
        #expect(gap.after == scenario.backups["b5"]!.stopTime)
        #expect(gap.until == scenario.backups["b6"]!.stopTime)
        #expect(report.text.contains("WAL gap in 15-\(scenario.repo.identity.systemIdentifier) timeline 1: 000000010000000000000037..000000010000000000000038 (2 segments) missing; cuts the recoverable window from after 2026-06-13T10:00:00Z until 2026-06-14T10:00:00Z"))

        let json = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as! [String: Any]
        #expect(json["ok"] as? Bool == false)
        let problem = (json["problems"] as! [[String: Any]])[0]
        #expect(problem["kind"] as? String == "wal_gap" && problem["first"] as? String == "000000010000000000000037")
        #expect(problem["until"] as? String == "2026-06-14T10:00:00Z")
    }

    @Test func aMissingSegmentOfAMonthlyBackupAndOfTheNewTimelineAreGapsToo() throws {
        let scenario = try RetentionScenario()
        try applyRetention(scenario)
        try scenario.repo.storage.remove(scenario.segmentKeys(1, 21...21)[0])  // b2 stops in it
        try scenario.repo.storage.remove(scenario.segmentKeys(2, 73...73)[0])  // after b7 on timeline 2
        let names = try verify(scenario).gaps.map(\.first.fileName)
        #expect(names == ["000000010000000000000015", "000000020000000000000049"])
    }

    @Test func findsATruncatedObjectWithoutDecoding() throws {
        let scenario = try RetentionScenario()
        let key = scenario.segmentKeys(1, 58...58)[0]
        let path = scenario.repo.path(key)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: path))
        let backup = scenario.backups["b6"]!
        let piece = scenario.repo.path(BackupDescriptor.objectKey(backup: backup.name, object: "base.tar.0000"))
        let pieceBytes = try Data(contentsOf: URL(fileURLWithPath: piece))
        try pieceBytes.prefix(pieceBytes.count - 1).write(to: URL(fileURLWithPath: piece))
        let report = try verify(scenario)
        #expect(report.problems.count == 2)
        #expect(report.problems.contains { $0.kind == "bad_object" && $0.subject.hasSuffix(key) })
        #expect(report.problems.contains { $0.kind == "size_mismatch" && $0.subject.hasSuffix("base.tar.0000") })
    }

    @Test func deepFindsAFlippedByteTheShallowCheckCannotSee() throws {
        let scenario = try RetentionScenario(key: MasterKey(bytes: Array(repeating: 7, count: 32))!)
        let key = scenario.segmentKeys(1, 60...60)[0]
        let path = scenario.repo.path(key)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[ObjectHeader.size + 5] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try verify(scenario).isSound)
        let deep = try verify(scenario, deep: true)
        #expect(deep.problems.count == 1)
        #expect(deep.problems.first?.subject.hasSuffix(key) == true)
    }

    /// backup.info is an object bound to its backup (format 2). Plain text put in its place (the format of earlier
    /// releases), say with a tablespace added, is refused: the repository log lists no backup of an earlier release
    /// by that name. Another backup's descriptor copied to its name does not decode. An object too large for any
    /// descriptor is refused as well.
    @Test func aReplacedDescriptorIsCaught() throws {
        let scenario = try RetentionScenario(key: MasterKey(bytes: Array(repeating: 7, count: 32))!)
        let catalog = BackupCatalog(repository: scenario.repo.repository)
        let backups = try catalog.list()
        #expect(backups.count > 1 && backups.allSatisfy(\.isObject))
        let victim = backups[0]
        let path = scenario.repo.path(BackupDescriptor.key(of: victim.name))
        var text = victim.text
        text.values.append(("tablespace", "16390 /etc/attacker"))
        try Data(text.bytes).write(to: URL(fileURLWithPath: path))
        let planted = #expect(throws: BackupError.self) { try catalog.list() }
        #expect(planted?.description.contains(victim.name) == true && planted?.description.contains("without the key") == true,
                "\(String(describing: planted))")
        // What restores leaves that backup out and uses the others.
        let scan = try catalog.scan()
        #expect(scan.unreadable.map(\.backup) == [victim.name] && scan.backups.map(\.name) == backups.dropFirst().map(\.name))
        // verify names it and goes on; delete refuses to plan from a list without it.
        let report = try verify(scenario)
        #expect(report.problems.filter { $0.kind == "unreadable_descriptor" }.map(\.subject) == [victim.name], "\(report.text)")
        #expect(throws: BackupError.self) {
            try RetentionPlanner(inventory: RepositoryInventory.load(repository: scenario.repo.repository))
                .plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
        }

        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: scenario.repo.path(BackupDescriptor.key(of: backups[1].name)), toPath: path)
        #expect(throws: ObjectFormatError.authenticationFailed(object: scenario.repo.storage.describe(BackupDescriptor.key(of: victim.name)), chunk: 0)) {
            try catalog.list()
        }

        // Bytes larger than any descriptor: that backup is left out as unreadable, as above, and the others still restore.
        try Data(count: 2 << 20).write(to: URL(fileURLWithPath: path))
        let oversized = try catalog.scan()
        #expect(oversized.unreadable.map(\.backup) == [victim.name] && oversized.backups.map(\.name) == backups.dropFirst().map(\.name))
        #expect(oversized.unreadable.first.map { "\($0.error)" } == "\(scenario.repo.storage.describe(BackupDescriptor.key(of: victim.name))) "
                + "is larger than 1048576 bytes, so it is no repository metadata")
    }

    /// A segment archived by an earlier release (format 1, bound to nothing) still reads, deep included, and
    /// verify counts it: within the range `archive.info` records as archived before the switch to format 2.
    @Test func formatOneObjectsStayReadableAndAreCounted() throws {
        let scenario = try RetentionScenario()
        let repository = scenario.repo.repository
        let archive = scenario.repo.archive
        let info = try archive.info()
        let switched = ArchiveInfo(repositoryID: info.repositoryID, systemIdentifier: info.systemIdentifier, pgVersion: info.pgVersion,
                                   segmentSize: info.segmentSize, formatSwitch: FormatSwitch(lastSegments: [1: 60], lastHistory: 0))
        // As an earlier release's archive once switched to format 2 would have it (nothing replaces a stored one).
        try FileManager.default.removeItem(atPath: scenario.repo.path(archive.infoKey))
        _ = try SealedMetadata.store(switched.text, at: archive.infoKey, identity: archive.infoIdentity(archive.infoKey), under: nil, in: repository)
        repository.archiveInfos = [:]
        let content = Array("segment written by an earlier release".utf8)
        let header = ObjectHeader(version: 1, compression: .none, cipher: .none, chunkSizeLog2: 0,
                                  keyID: Array(repeating: 0, count: 8), salt: Array(repeating: 0, count: 32))
        let object = header.bytes + content + (try referenceTrailer(content, key: nil).bytes)
        try Data(object).write(to: URL(fileURLWithPath: scenario.repo.path(scenario.segmentKeys(1, 60...60)[0])))
        for deep in [false, true] {
            let report = try verify(scenario, deep: deep)
            #expect(report.isSound, "\(report.text)")
            #expect(report.formatOneObjects == 1)
            #expect(report.text.contains("1 object is of format 1"))
            #expect(report.json.contains("\"format1_objects\":1"))
        }
        // Beyond the range, a format 1 object is one copied under a new name.
        try Data(object).write(to: URL(fileURLWithPath: scenario.repo.path(scenario.segmentKeys(1, 61...61)[0])))
        let deep = try verify(scenario, deep: true)
        #expect(deep.problems.count == 1 && deep.problems[0].description.contains("format 1"), "\(deep.text)")
    }

    @Test func twoReadersFindTheSameProblemsInTheSameOrder() throws {
        let key = MasterKey(bytes: Array(repeating: 9, count: 32))!
        let scenario = try RetentionScenario(key: key)
        for number: UInt64 in [30, 61] {
            let path = scenario.repo.path(scenario.segmentKeys(1, number...number)[0])
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[ObjectHeader.size + 2] ^= 0x80
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        var verifier = RepositoryVerifier(inventory: try RepositoryInventory.load(repository: scenario.repo.repository),
                                          policy: RetentionScenario.policy, now: RetentionScenario.now, deep: true)
        let single = verifier.run()
        verifier.openRepository = { Repository(storage: FileStorage(root: scenario.repo.root), key: key) }
        let parallel = verifier.run()
        #expect(parallel.problems.count == 2)
        #expect(parallel.problems == single.problems)
        #expect(parallel.problems.map(\.subject).allSatisfy { $0.contains("00000001000000000000001E") || $0.contains("00000001000000000000003D") })
    }

    @Test func aMissingHistoryFileIsNamed() throws {
        let scenario = try RetentionScenario()
        try scenario.repo.storage.remove(scenario.repo.walKey(.history(TimelineID(3))))
        let report = try verify(scenario)
        #expect(report.problems.map(\.kind) == ["missing_history"])
        #expect(report.problems[0].subject.hasSuffix("00000003.history"))
    }

    @Test func recordsTheOutcomeForCheck() throws {
        let scenario = try RetentionScenario()
        let repository = scenario.repo.repository
        #expect(try VerifyRecord.load(from: repository) == nil)
        // An earlier release's record, under its single name, is read until a newer one is written.
        let legacy = MetadataText([("format", "1"), ("time", "2026-06-14T12:00:00Z"), ("result", "failed"), ("deep", "false"), ("problems", "2")])
        _ = try SealedMetadata.store(legacy, at: "verify.last", identity: ObjectIdentity(["repository": try repository.recordedState()?.repositoryID ?? "", "file": "verify.last"]),
                                     under: repository.key, in: repository)
        #expect(try VerifyRecord.load(from: repository) == VerifyRecord(time: UTCTime(iso8601: "2026-06-14T12:00:00Z")!, sound: false, deep: false, problems: 2))
        let report = try verify(scenario)
        try VerifyRecord(report).save(in: repository)
        try VerifyRecord(report).save(in: repository)
        #expect(try VerifyRecord.load(from: repository) == VerifyRecord(time: RetentionScenario.now, sound: true, deep: false, problems: 0))
        // One object per run, none replaced; delete removes all but the newest.
        #expect(try scenario.repo.keys().filter { $0.hasPrefix("verify") } == ["verify.last", "verify/verify.00000001", "verify/verify.00000002"])
        let plan = try RetentionPlanner(inventory: RepositoryInventory.load(repository: repository)).plan(policy: RetentionScenario.policy, now: RetentionScenario.now)
        #expect(plan.superseded.map(\.key).sorted() == ["verify.last", "verify/verify.00000001"])
        #expect(plan.text.contains("delete  2 records a newer one supersedes"))
        try plan.execute(on: scenario.repo.storage, log: Log(level: .error))
        #expect(try scenario.repo.keys().filter { $0.hasPrefix("verify") } == ["verify/verify.00000002"])
        #expect(try VerifyRecord.load(from: repository)?.time == RetentionScenario.now)
        // A newer record in plain text (written without the key) is passed over: the genuine one stands.
        try Data("format=1\ntime=2026-06-15T13:00:00Z\nresult=ok\ndeep=true\nproblems=0\n".utf8)
            .write(to: URL(fileURLWithPath: scenario.repo.path("verify/verify.00000003")))
        #expect(try VerifyRecord.load(from: repository)?.time == RetentionScenario.now)
    }
}
