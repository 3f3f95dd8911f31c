import Foundation
import Testing
@testable import PITRArchive

/// The pusher's commit thread runs what it is handed in order, one at a time, beside the caller,
/// and `close` returns only after the last one ran.
@Suite struct CommitThreadTests {
    /// Shared between the test and the commit thread; `hand` and `close` order every access.
    final class Journal: @unchecked Sendable {
        var entries: [String] = []
        var running = 0
        var mostRunning = 0
    }

    @Test func commitsRunInOrderOneAtATimeAndCloseWaitsForTheLast() throws {
        let journal = Journal()
        let commits = try CommitThread()
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
        let commits = try CommitThread()
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
}
