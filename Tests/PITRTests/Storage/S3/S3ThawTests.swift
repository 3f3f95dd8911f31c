import Foundation
import Testing
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// Objects in GLACIER and DEEP_ARCHIVE on moto (moved there by a CopyObject in place, as a lifecycle rule would): a GET is
/// refused with InvalidObjectState, never taken for a missing object; HEAD and RestoreObject say and change where the thaw
/// stands. moto thaws at once, so the fault proxy holds `ongoing-request="true"` to show a thaw under way.
@Suite("S3 archive classes and thaws", .serialized)
final class S3ThawTests {
    let proxy: FaultProxy
    /// Through the proxy.
    let storage: S3Storage
    let direct: S3Storage

    init() throws {
        proxy = try FaultProxy(upstream: try MotoServer.endpoint())
        let bucket = MotoServer.uniqueBucket("thaw")
        try MotoServer.createBucket(bucket)
        storage = try S3Storage(configuration: S3TestRepository.configuration(bucket: bucket, prefix: "repo", endpoint: proxy.endpoint), log: Log(level: .error))
        direct = try S3Storage(configuration: S3TestRepository.configuration(bucket: bucket, prefix: "repo"), log: Log(level: .error))
    }

    deinit { proxy.stop() }

    private func archive(_ key: String, _ bytes: [UInt8], _ storageClass: String) throws {
        #expect(try direct.store(key, bytes) == .stored)
        try MotoServer.setStorageClass(bucket: direct.configuration.bucket, key: "repo/" + key, storageClass)
    }

    @Test func anArchivedObjectIsRefusedByNameUntilThawedThenReadable() throws {
        let bytes = Array("archived object".utf8)
        try archive("backups/b1/piece", bytes, "GLACIER")
        try archive("wal/deep", bytes, "DEEP_ARCHIVE")
        #expect(try direct.store("wal/standard", bytes) == .stored)

        #expect(try direct.listObjects(prefix: "").map { "\($0.key) \($0.storageClass ?? "-")" }
                == ["backups/b1/piece GLACIER", "wal/deep DEEP_ARCHIVE", "wal/standard STANDARD"])
        for read in [{ _ = try self.direct.openForReading("backups/b1/piece") }, { _ = try self.direct.openIfPresent("wal/deep") },
                     { _ = try self.direct.readHead(of: "backups/b1/piece", count: 4) }] {
            let refused = #expect(throws: S3Error.self) { try read() }
            #expect(refused?.code == "InvalidObjectState")
            #expect(refused?.description.contains("must be restored (thawed)") == true, "\(String(describing: refused))")
        }
        #expect(try direct.archivedState(of: "backups/b1/piece") == ArchivedState(archiveClass: .glacier, thaw: .notRequested))
        #expect(try direct.archivedState(of: "wal/deep") == ArchivedState(archiveClass: .deepArchive, thaw: .notRequested))
        #expect(try direct.archivedState(of: "wal/standard") == nil)
        #expect(throws: StorageError.self) { _ = try self.direct.archivedState(of: "wal/absent") }

        #expect(try direct.requestThaw(of: "backups/b1/piece", tier: .expedited, days: 2) == .started)
        let state = try #require(try direct.archivedState(of: "backups/b1/piece"))
        guard case .readable(let until?) = state.thaw else { Issue.record("not readable after the thaw: \(state)"); return }
        // moto dates the copy's expiry `days` days ahead, at the request's second.
        #expect(abs(until.secondsSinceEpoch - UTCTime.now().secondsSinceEpoch - 2 * 86_400) < 120, "\(until)")
        #expect(try direct.load("backups/b1/piece") == bytes)
        #expect(try direct.requestThaw(of: "backups/b1/piece", tier: .expedited, days: 2) == .alreadyReadable)
        // A thaw is per object: the other stays refused.
        #expect(throws: S3Error.self) { _ = try self.direct.readHead(of: "wal/deep", count: 4) }
    }

    @Test func aThawUnderWayShowsAsOngoingAndARepeatedRequestAsProgress() throws {
        try archive("wal/held", Array("held".utf8), "GLACIER")
        #expect(try storage.requestThaw(of: "wal/held", tier: .standard, days: 1) == .started)
        proxy.holdThaw(heads: 2)
        #expect(try storage.archivedState(of: "wal/held")?.thaw == .ongoing)
        #expect(try storage.requestThaw(of: "wal/held", tier: .standard, days: 1) == .alreadyOngoing)
        #expect(try storage.archivedState(of: "wal/held")?.thaw == .ongoing)
        guard case .readable? = try storage.archivedState(of: "wal/held")?.thaw else { Issue.record("still held after 2 HEADs"); return }
        let posts = try proxy.log().filter { $0.method == "POST" }
        #expect(posts.map(\.status) == [202, 200], "the second RestoreObject reached moto (200) and was answered 409 by the proxy")
        #expect(posts.allSatisfy { $0.path.contains("?restore") })
    }

    @Test func restoreHeadersAndHTTPDatesParse() {
        #expect(ThawState(restoreHeader: nil) == .notRequested)
        #expect(ThawState(restoreHeader: "ongoing-request=\"true\"") == .ongoing)
        #expect(ThawState(restoreHeader: "ongoing-request=\"false\", expiry-date=\"Tue, 08 Dec 2026 18:31:06 GMT\"")
                == .readable(until: UTCTime(iso8601: "2026-12-08T18:31:06Z")))
        #expect(ThawState(restoreHeader: "ongoing-request=\"false\"") == .readable(until: nil))
        #expect(UTCTime(httpDate: "Tue, 08 Dec 2026 18:31:06 UTC") == nil)
        #expect(ArchiveClass(storageClass: "GLACIER_IR") == nil)
        #expect(ArchiveClass.deepArchive.thawTime(.expedited) == nil)
        #expect(ThawTier.bulk.s3Name == "Bulk")
    }

    private func expectRefusal(_ permission: String, _ body: () throws -> Void) {
        let refused = #expect(throws: S3Error.self) { try body() }
        let text = refused?.description ?? ""
        #expect(text.contains("was refused (HTTP 403 AccessDenied): allow \(permission) to the maintenance role that runs delete "
                              + "(docs/s3.md, \"Minimal IAM policy: one per role\")"), "\(text)")
        #expect(!text.contains("\n"), "one line: \(text)")
    }

    /// A role without the permissions that move objects into colder classes (the fault proxy's `nomove`: a request for tags
    /// or the lifecycle configuration answered 403 AccessDenied, everything else forwarded): each refusal is one line naming
    /// the missing permission and the role policy in docs/s3.md.
    @Test func aMissingTaggingOrLifecyclePermissionIsNamedWithItsRole() throws {
        var configuration = storage.configuration
        configuration.storageClasses = S3StorageClasses(weekly: "STANDARD_IA", monthly: "GLACIER", yearly: "DEEP_ARCHIVE")
        let moving = try S3Storage(configuration: configuration, log: Log(level: .error))
        #expect(try moving.store("backups/b1/piece", Array(repeating: 7, count: 1024)) == .stored)
        _ = try proxy.log()
        proxy.setRate(1, faults: ["nomove"])
        expectRefusal("s3:PutObjectTagging") { try moving.tag("backups/b1/piece", tier: .monthly) }
        expectRefusal("s3:GetLifecycleConfiguration") { _ = try moving.keepTransitionRules() }
        // Reading the configuration allowed, writing it refused.
        proxy.setRate(0)
        proxy.queue(["pass", "403"])
        expectRefusal("s3:PutLifecycleConfiguration") { _ = try moving.keepTransitionRules() }
        // Everything else still goes through, and the rules are kept once the permissions are there.
        #expect(try moving.load("backups/b1/piece").count == 1024)
        #expect(try moving.keepTransitionRules())
        let entries = try proxy.log()
        #expect(entries.filter { $0.fault == "403" }.map(\.method) == ["PUT", "GET", "PUT"], "\(entries.map { "\($0.method) \($0.path) \($0.fault)" })")
    }
}
