/// Reads a source on a thread of its own, a few blocks ahead of the consumer, so that
/// downloading an object (S3's ranged GETs) overlaps with decrypting and decompressing it.
/// Memory stays bounded by the queue's blocks. `close` (or release) stops and joins the reader.
final class PrefetchingSource: ByteSource {
    private let queue: BlockQueue
    private var thread: WorkerThread?
    /// Written by the reader before it ends the queue, read by the consumer after the end.
    private let failure = FailureBox()
    private var block: (index: Int, count: Int)?
    private var offset = 0

    private final class FailureBox: @unchecked Sendable {
        var error: Error?
    }

    init(_ source: ByteSource, blockSize: Int = 1 << 20, blockCount: Int = 4) throws {
        let queue = BlockQueue(blockSize: blockSize, blockCount: blockCount)
        queue.reset()
        self.queue = queue
        let failure = self.failure
        thread = try WorkerThread {
            do {
                while let index = queue.takeFree() {
                    let buffer = queue.buffer(index)
                    var count = 0
                    while count < buffer.count {
                        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                        if n == 0 { break }
                        count += n
                    }
                    if count > 0 { queue.submit(index, count: count) }
                    if count < buffer.count { break }
                }
            } catch {
                failure.error = error
            }
            queue.end()
        }
    }

    deinit { close() }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        guard destination.count > 0 else { return 0 }
        if block == nil {
            guard let next = queue.takeFilled() else {
                close()
                if let error = failure.error { throw error }
                return 0
            }
            block = next
            offset = 0
        }
        guard let current = block else { return 0 }
        let count = min(destination.count, current.count - offset)
        destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: queue.buffer(current.index)[offset..<offset + count]))
        offset += count
        if offset == current.count {
            queue.recycle(current.index)
            block = nil
        }
        return count
    }

    /// Stops the reader (if still running) and waits for it.
    func close() {
        guard let thread else { return }
        queue.abort()
        thread.join()
        self.thread = nil
    }
}
