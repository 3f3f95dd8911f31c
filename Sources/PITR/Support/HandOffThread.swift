/// A second thread that runs the work handed to it one at a time, in the order handed, while the owner goes on: a
/// background pusher's commits (on file:// two fsyncs) beside the next encoding, a mirrored upload's writes to the second
/// repository beside those to the first. `hand` waits while `depth` pieces of work are handed and not finished (the
/// one running included), so that what waits stays bounded: with depth 1, the previous work must have finished.
package final class HandOffThread {
    private let lock = ConditionLock()
    private let depth: Int
    // Guarded by `lock`: the work handed and not finished, the running one first.
    private var pending: [() -> Void] = []
    private var closed = false
    private var thread: WorkerThread?

    package init(depth: Int = 1) throws {
        self.depth = depth
        // The thread holds this object until `close` ends it.
        thread = try WorkerThread { [self] in runHandedWork() }
    }

    /// Runs `work` on the thread after the work handed before it.
    package func hand(_ work: @escaping () -> Void) {
        lock.locked {
            while pending.count >= depth { lock.wait() }
            pending.append(work)
            lock.broadcast()
        }
    }

    /// Waits for the work handed last, then ends the thread. Call once, after the last `hand`.
    package func close() {
        lock.locked {
            closed = true
            lock.broadcast()
        }
        thread?.join()
        thread = nil
    }

    private func runHandedWork() {
        while true {
            let work: (() -> Void)? = lock.locked {
                while pending.isEmpty && !closed { lock.wait() }
                return pending.first
            }
            guard let work else { return }
            work()
            lock.locked {
                pending.removeFirst()
                lock.broadcast()
            }
        }
    }
}
