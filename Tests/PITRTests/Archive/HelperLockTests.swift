import Testing
@testable import PITRArchive
import PITRSupport

@Suite struct HelperLockTests {
    /// A wal-fetch or wal-push asking whether its helper runs holds the lock for an instant; a
    /// helper starting in that instant waits it out instead of giving up.
    @Test func aStartingHelperOutlastsAMomentaryHolder() throws {
        let path = "/tmp/tailtown-lock-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        var holder = try HelperLock.take(path)
        #expect(holder != nil)
        #expect(try HelperLock.take(path, attempts: 1) == nil)
        #expect(try HelperLock.isHeld(path))
        // The holder lets go between the first attempt and the second.
        var pauses = 0
        let lock = try HelperLock.take(path, attempts: 5) {
            pauses += 1
            holder = nil
        }
        #expect(lock != nil)
        #expect(pauses == 1, "taken at the second attempt")
    }

    /// What the holder writes about itself is readable while it holds the lock, and only then.
    @Test func theHolderDescriptionIsReadOnlyWhileHeld() throws {
        let path = "/tmp/tailtown-lock-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        var holder = try HelperLock.take(path)
        try holder?.describeHolder("repository=file:///somewhere\n")
        #expect(try HelperLock.holderDescription(path) == "repository=file:///somewhere\n")
        try holder?.describeHolder("x\n")
        #expect(try HelperLock.holderDescription(path) == "x\n", "a shorter text replaces the longer one whole")
        holder = nil
        #expect(try HelperLock.holderDescription(path) == nil)
    }
}
