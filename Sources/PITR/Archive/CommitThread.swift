/// A background pusher worker's second thread: commits (`WALFileStore.commit`, on file:// two
/// fsyncs that wait for the disk) and records each object while the worker already encodes the
/// next file, so that a core is not left idle while the disk flushes. Commits run one at a time
/// in the order handed; `hand` waits while the previous one still runs, so at most one object
/// waits for its commit while the next is encoded.
final class CommitThread {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var next: (() -> Void)?
    private var closed = false
    private var thread: WorkerThread?

    init() throws {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
        // The thread holds this object until `close` ends it.
        thread = try WorkerThread { [self] in runCommits() }
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        changed.deallocate()
    }

    /// Runs `commit` on the thread once the previous one has finished.
    func hand(_ commit: @escaping () -> Void) {
        locked {
            while next != nil { pthread_cond_wait(changed, mutex) }
            next = commit
            pthread_cond_broadcast(changed)
        }
    }

    /// Waits for the commit handed last, then ends the thread. Call once, after the last `hand`.
    func close() {
        locked {
            closed = true
            pthread_cond_broadcast(changed)
        }
        thread?.join()
        thread = nil
    }

    private func runCommits() {
        while true {
            let commit: (() -> Void)? = locked {
                while next == nil && !closed { pthread_cond_wait(changed, mutex) }
                return next
            }
            guard let commit else { return }
            commit()
            locked {
                next = nil
                pthread_cond_broadcast(changed)
            }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
