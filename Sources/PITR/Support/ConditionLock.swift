/// The one lock of the package: a mutex with a condition variable, for state that threads share and wait on.
/// `locked` runs a closure holding the mutex; inside it, `wait()` sleeps until another thread's `broadcast()`.
/// The state itself lives in the owner, touched only inside `locked`.
package final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    package init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    package func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Inside `locked`: lets the mutex go until a `broadcast`, then holds it again. Callers wait in a loop on
    /// their own condition (a wake-up may come for another).
    package func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Inside `locked`: wakes every thread in `wait`.
    package func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
