import PITRSupport

/// A background pusher worker's second thread: commits (`WALFileStore.commit`, on file:// two
/// fsyncs that wait for the disk) and records each object while the worker already encodes the
/// next file, so that a core is not left idle while the disk flushes. Commits run one at a time
/// in the order handed; `hand` waits while the previous one still runs, so at most one object
/// waits for its commit while the next is encoded.
final class CommitThread {
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var next: (() -> Void)?
    private var closed = false
    private var thread: WorkerThread?

    init() throws {
        // The thread holds this object until `close` ends it.
        thread = try WorkerThread { [self] in runCommits() }
    }

    /// Runs `commit` on the thread once the previous one has finished.
    func hand(_ commit: @escaping () -> Void) {
        lock.locked {
            while next != nil { lock.wait() }
            next = commit
            lock.broadcast()
        }
    }

    /// Waits for the commit handed last, then ends the thread. Call once, after the last `hand`.
    func close() {
        lock.locked {
            closed = true
            lock.broadcast()
        }
        thread?.join()
        thread = nil
    }

    private func runCommits() {
        while true {
            let commit: (() -> Void)? = lock.locked {
                while next == nil && !closed { lock.wait() }
                return next
            }
            guard let commit else { return }
            commit()
            lock.locked {
                next = nil
                lock.broadcast()
            }
        }
    }

}
