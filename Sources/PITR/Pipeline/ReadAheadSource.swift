import PITRSupport

/// A source read on a second thread into a few buffers, handed out in order as they fill: reading the upstream (a
/// socket, say) overlaps with what the caller does with the bytes. The thread starts with the first call to `next`
/// and reads until the upstream ends; `stop` ends it early and joins it, and the owner calls `stop` on every path
/// before the upstream is used again (it returns at once when the thread is already done).
package final class ReadAheadSource {
    private let upstream: ByteSource
    private let queue: BlockQueue
    private var thread: WorkerThread?
    /// The thread's error, written before it ends the queue and read after the queue said so.
    private final class Failure { var error: Error? }
    private let failure = Failure()
    private var finished = false

    package init(_ upstream: ByteSource, blockSize: Int = 1 << 17, blockCount: Int = 4) {
        self.upstream = upstream
        queue = BlockQueue(blockSize: blockSize, blockCount: blockCount)
    }

    deinit { stop() }

    /// Calls `body` with the next bytes read (valid only during the call) and returns true, or returns false at the
    /// upstream's end; rethrows the upstream's error.
    package func next(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        guard !finished else { return false }
        try start()
        guard let block = queue.takeFilled() else {
            stop()
            if let error = failure.error { throw error }
            return false
        }
        defer { queue.recycle(block.index) }
        try body(UnsafeRawBufferPointer(rebasing: queue.buffer(block.index)[0..<block.count]))
        return true
    }

    /// Ends the reading and joins the thread; later calls to `next` return false.
    package func stop() {
        finished = true
        guard let thread else { return }
        queue.abort()
        thread.join()
        self.thread = nil
    }

    private func start() throws {
        guard thread == nil else { return }
        let queue = self.queue, upstream = self.upstream, failure = self.failure
        queue.reset()
        thread = try WorkerThread("reading ahead") {
            do {
                while let index = queue.takeFree() {
                    let buffer = queue.buffer(index)
                    let count = try readFully(upstream, into: buffer)
                    if count > 0 { queue.submit(index, count: count) }
                    // readFully stops short only at the end of the source.
                    if count < buffer.count { break }
                }
            } catch {
                failure.error = error
            }
            queue.end()
        }
    }
}
