import Foundation
import PITRBackup

/// The thread of an `InterruptSignal` that takes SIGINT (in sigwait), found in /proc, so that a test sends a real SIGINT
/// through the real path: kernel, sigwait, pipe, `InterruptSignal.descriptor`. The signal goes to that thread alone
/// (tgkill): `InterruptSignal` blocks SIGINT only in the thread that makes it and the threads that one starts later, so a
/// SIGINT sent to the whole process could land on one of the test runner's threads and end the test process, or on the
/// waiter of another test's `InterruptSignal`. Sent to a thread that blocks it, a signal never ends the process.
struct SignalWaiter {
    let thread: pid_t

    /// Makes an `InterruptSignal` and finds its waiter: the one thread started meanwhile that waits in sigwait.
    static func make() throws -> (InterruptSignal, SignalWaiter) {
        let before = Set(threads())
        let interruption = try InterruptSignal()
        var found: pid_t?
        try waitUntil("the new InterruptSignal's thread to wait in sigwait", seconds: 60) {
            let waiting = threads().filter { !before.contains($0) && isInSigwait($0) }
            guard waiting.count <= 1 else { throw HarnessError.system("several new threads wait in sigwait: \(waiting)") }
            found = waiting.first
            return found != nil
        }
        guard let found else { throw HarnessError.system("no signal waiter found") }
        return (interruption, SignalWaiter(thread: found))
    }

    /// Sends SIGINT to the waiter, as the kernel hands a Ctrl-C to the thread that takes it.
    func interrupt() throws {
        guard Self.tgkill(getpid(), thread, SIGINT) == 0 else { throw HarnessError.system("tgkill \(thread) SIGINT: errno \(errno)") }
    }

    /// glibc's tgkill, which Swift's Glibc module does not declare.
    private static let tgkill: @convention(c) (pid_t, pid_t, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "tgkill") else { fatalError("glibc has no tgkill") }
        return unsafeBitCast(symbol, to: (@convention(c) (pid_t, pid_t, Int32) -> Int32).self)
    }()

    private static func threads() -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap { pid_t($0) }
    }

    /// Whether the kernel reports `thread` as waiting in rt_sigtimedwait, which sigwait calls.
    private static func isInSigwait(_ thread: pid_t) -> Bool {
        ((try? String(contentsOfFile: "/proc/self/task/\(thread)/wchan", encoding: .utf8)) ?? "").contains("sigtimedwait")
    }
}
