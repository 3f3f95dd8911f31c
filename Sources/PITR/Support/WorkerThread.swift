/// The one thread type of the package: one POSIX thread running one closure. The owner calls `join` exactly
/// once, on every path (the closure may use memory the owner frees after joining), or `detach` for a thread
/// that lives as long as the process.
package final class WorkerThread {
    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private var thread = pthread_t()

    /// Starts `body` on a new thread; throws, naming `role`, if the system refuses one.
    package init(_ role: String = "background work", _ body: @escaping () -> Void) throws {
        let job = Unmanaged.passRetained(Job(body))
        let result = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<Job>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, job.toOpaque())
        guard result == 0 else {
            job.release()
            throw IOError("start a thread for", role, code: result)
        }
    }

    package func join() {
        pthread_join(thread, nil)
    }

    package func detach() {
        pthread_detach(thread)
    }
}
