import Testing
@testable import PITRStorage
@testable import PITRSupport

/// The age check that decides which multipart uploads a backup-push may abort: only those S3
/// started before the cutoff, never a recent one or one without a date.
@Suite struct S3PendingUploadTests {
    static let cutoff = UTCTime(iso8601: "2026-11-27T03:54:45Z")!

    static func upload(_ initiated: String) -> S3PendingUpload {
        S3PendingUpload(key: "backups/b/base.tar.0000", uploadID: "id", initiated: initiated)
    }

    @Test func olderUploadsAreStale() {
        #expect(Self.upload("2026-11-26T03:54:45.000Z").started(before: Self.cutoff))
        #expect(Self.upload("2026-11-27T03:54:44.999Z").started(before: Self.cutoff))
        #expect(Self.upload("2010-11-10T20:48:33.000Z").started(before: Self.cutoff))
    }

    @Test func recentOrUndatedUploadsAreLeftAlone() {
        #expect(!Self.upload("2026-11-27T03:54:45.000Z").started(before: Self.cutoff))
        #expect(!Self.upload("2026-11-27T03:54:46.000Z").started(before: Self.cutoff))
        #expect(!Self.upload("2027-01-01T00:00:00.000Z").started(before: Self.cutoff))
        #expect(!Self.upload("").started(before: Self.cutoff))
        #expect(!Self.upload("garbage").started(before: Self.cutoff))
    }
}
