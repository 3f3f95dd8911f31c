import Foundation
import Testing
@testable import PITRRepository
@testable import PITRRetention
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRVerify
@testable import PITRWAL

/// A verify record or window proof put under a newer name by someone without the key (random bytes, or plain text) is
/// passed over: `status` and `check` still read the genuine one, and `delete` does not remove it.
@Suite struct ForgedVerifyRecordTests {
    @Test func aForgedNewerVerifyRecordIsPassedOver() throws {
        let scenario = try RetentionScenario()
        let repository = scenario.repo.repository
        let storage = scenario.repo.storage
        let older = VerifyRecord(time: UTCTime(iso8601: "2026-06-14T12:00:00Z")!, sound: false, deep: false, problems: 2)
        let genuine = VerifyRecord(time: RetentionScenario.now, sound: true, deep: true, problems: 0)
        try older.save(in: repository)
        try genuine.save(in: repository)
        try ForgedMarkTests.put(ForgedMarkTests.randomBytes, at: "verify/verify.00000003", on: storage)
        try ForgedMarkTests.put(Array("format=1\ntime=2026-06-15T13:00:00Z\nresult=failed\ndeep=true\nproblems=9\n".utf8),
                                at: "verify/verify.00000004", on: storage)
        #expect(try VerifyRecord.load(from: repository) == genuine)

        let plan = try ForgedMarkTests.plan(scenario)
        #expect(plan.superseded.map(\.key).filter { $0.hasPrefix("verify") } == ["verify/verify.00000001"])
        try plan.execute(on: storage, log: Log(level: .error))
        #expect(try storage.list(prefix: "verify") == ["verify/verify.00000002", "verify/verify.00000003", "verify/verify.00000004"])
        #expect(try VerifyRecord.load(from: repository) == genuine)
        #expect(try ForgedMarkTests.unauthenticated(scenario) == ["verify/verify.00000003", "verify/verify.00000004"].map(storage.describe))
    }

    @Test func aForgedNewerWindowProofIsPassedOver() throws {
        let scenario = try RetentionScenario()
        let repository = scenario.repo.repository
        let storage = scenario.repo.storage
        let archive = scenario.repo.archive.identity
        let proof = WindowProof(outcome: .init(time: RetentionScenario.now, provenStart: nil, provenEnd: nil, unprovableSeconds: 7,
                                               unprovableStretches: 1), segments: [:])
        try proof.save(archive: archive, in: repository)
        let forged = "verify/window-\(archive.archiveID).00000002"
        try ForgedMarkTests.put(ForgedMarkTests.randomBytes, at: forged, on: storage)
        #expect(try WindowProof.load(archive: archive, from: repository) == proof)
        #expect(!(try ForgedMarkTests.plan(scenario)).superseded.contains { $0.key.hasPrefix("verify") })
    }
}
