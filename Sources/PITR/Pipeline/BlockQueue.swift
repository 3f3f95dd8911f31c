import PITRSupport

/// A fixed set of buffers passed between a producing and a consuming thread: the producer
/// takes a free buffer, fills it and submits it; the consumer takes filled buffers in order
/// and recycles them. A mutex and one condition variable guard the two lists, so memory is
/// bounded by the buffers whatever the size of the stream.
final class BlockQueue {
    let blockSize: Int
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let lock = ConditionLock()

    // Guarded by `lock`.
    private var free: [Int] = []
    private var filled: [(index: Int, count: Int)] = []
    private var ended = false
    private var aborted = false

    init(blockSize: Int = 1 << 20, blockCount: Int = 3) {
        self.blockSize = blockSize
        buffers = (0..<blockCount).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64) }
        free.reserveCapacity(blockCount)
        filled.reserveCapacity(blockCount)
    }

    deinit {
        buffers.forEach { $0.deallocate() }
    }

    /// Makes every buffer free again; only while no other thread uses the queue.
    func reset() {
        free = Array(buffers.indices)
        filled.removeAll(keepingCapacity: true)
        ended = false
        aborted = false
    }

    func buffer(_ index: Int) -> UnsafeMutableRawBufferPointer { buffers[index] }

    /// Producer: a free buffer's index, waiting for one; nil once the queue is aborted.
    func takeFree() -> Int? {
        lock.locked {
            while free.isEmpty && !aborted { lock.wait() }
            return aborted ? nil : free.removeFirst()
        }
    }

    /// Producer: hands over the first `count` bytes of buffer `index`.
    func submit(_ index: Int, count: Int) {
        lock.locked {
            filled.append((index, count))
            lock.broadcast()
        }
    }

    /// Producer: nothing more will be submitted.
    func end() {
        lock.locked {
            ended = true
            lock.broadcast()
        }
    }

    /// Consumer: the next filled buffer, waiting for one; nil once the producer ended and
    /// everything was taken, or once the queue is aborted.
    func takeFilled() -> (index: Int, count: Int)? {
        lock.locked {
            while filled.isEmpty && !ended && !aborted { lock.wait() }
            return aborted || filled.isEmpty ? nil : filled.removeFirst()
        }
    }

    /// Consumer: buffer `index` may be filled again.
    func recycle(_ index: Int) {
        lock.locked {
            free.append(index)
            lock.broadcast()
        }
    }

    /// What a producer's `BlockFiller` throws once the other side gave up.
    struct Aborted: Error {}

    /// Either side gives up: the other side's waits return nil from now on.
    func abort() {
        lock.locked {
            aborted = true
            lock.broadcast()
        }
    }

}

/// The producer's side of a `BlockQueue`: the buffer being filled and how far; a full one is handed over.
final class BlockFiller {
    let queue: BlockQueue
    private var current: Int?
    private var filled = 0

    init(_ queue: BlockQueue) { self.queue = queue }

    /// Forgets the buffer being filled; with `BlockQueue.reset`, while no other thread uses the queue.
    func reset() {
        current = nil
        filled = 0
    }

    /// Lets `body` write into the free space of the current buffer (never empty) and returns the number of bytes it
    /// wrote; full buffers go to the consumer. Throws `BlockQueue.Aborted` once the queue is aborted.
    func fill(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int {
        let index: Int
        if let current {
            index = current
        } else {
            guard let free = queue.takeFree() else { throw BlockQueue.Aborted() }
            index = free
            current = free
            filled = 0
        }
        let buffer = queue.buffer(index)
        let produced = try body(UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
        filled += produced
        if filled == buffer.count {
            queue.submit(index, count: filled)
            current = nil
        }
        return produced
    }

    /// Hands over the buffer being filled, if it holds anything (before `BlockQueue.end`).
    func submitPartial() {
        if let current, filled > 0 { queue.submit(current, count: filled) }
        current = nil
    }
}
