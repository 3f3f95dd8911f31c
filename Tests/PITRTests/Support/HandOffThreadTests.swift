import Foundation
import Testing
@testable import PITRSupport

/// The hand-off thread runs what it is handed in order, one at a time, beside the caller,
/// and `close` returns only after the last one ran.
@Suite struct HandOffThreadTests {
    /// Shared between the test and the thread; `hand` and `close` order every access.
    final class Journal: @unchecked Sendable {
        var entries: [String] = []
        var running = 0
        var mostRunning = 0
    }

    @Test func commitsRunInOrderOneAtATimeAndCloseWaitsForTheLast() throws {
        let journal = Journal()
        let commits = try HandOffThread()
        for index in 0..<5 {
            commits.hand {
                journal.running += 1
                journal.mostRunning = max(journal.mostRunning, journal.running)
                usleep(20_000)
                journal.entries.append("commit \(index)")
                journal.running -= 1
            }
        }
        commits.close()
        #expect(journal.entries == (0..<5).map { "commit \($0)" })
        #expect(journal.mostRunning == 1)
    }

    @Test func theCallerGoesOnWhileACommitRuns() throws {
        let journal = Journal()
        let commits = try HandOffThread()
        // The commit waits for the test to look (a minute at most: a hand-over that waited for it fails the test, not hangs it).
        let looked = DispatchSemaphore(value: 0)
        commits.hand {
            _ = looked.wait(timeout: .now() + 60)
            journal.entries.append("committed")
        }
        // Handing over does not wait for the commit; only the next hand-over or close does.
        let whileCommitting = journal.entries
        looked.signal()
        commits.close()
        #expect(whileCommitting.isEmpty)
        #expect(journal.entries == ["committed"])
    }

    @Test func handWaitsOnlyWhenDepthPiecesArePending() throws {
        let journal = Journal()
        let thread = try HandOffThread(depth: 3)
        let release = DispatchSemaphore(value: 0)
        // The first blocks the thread: two more are handed without waiting, the fourth waits for the first to end.
        thread.hand { _ = release.wait(timeout: .now() + 60); journal.entries.append("0") }
        thread.hand { journal.entries.append("1") }
        thread.hand { journal.entries.append("2") }
        let beforeFourth = journal.entries
        release.signal()
        thread.hand { journal.entries.append("3") }
        thread.close()
        #expect(beforeFourth.isEmpty)
        #expect(journal.entries == ["0", "1", "2", "3"])
    }
}
