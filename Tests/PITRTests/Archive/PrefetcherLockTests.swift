#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import PITR

@Suite struct PrefetcherLockTests {
    /// A wal-fetch asking whether a prefetcher runs holds the lock for an instant; a prefetcher
    /// starting in that instant waits it out instead of giving up.
    @Test func aStartingPrefetcherOutlastsAMomentaryHolder() throws {
        let path = "/tmp/tailtown-lock-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        var holder = try PrefetcherLock.take(path)
        #expect(holder != nil)
        #expect(try PrefetcherLock.take(path, attempts: 1) == nil)
        #expect(try PrefetcherLock.isHeld(path))
        let release = try WorkerThread {
            usleep(15_000)
            holder = nil
        }
        let lock = try PrefetcherLock.take(path, attempts: 5)
        release.join()
        #expect(lock != nil)
    }
}
