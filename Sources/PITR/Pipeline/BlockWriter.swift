import PITRSupport

/// Writes decoded output on a second thread, hashing it there when asked, while the calling
/// thread reads, decrypts and decompresses straight into the writer's recycled buffers:
/// for plain objects the digest check, for all objects the write, overlap with decoding.
final class BlockWriter {
    private let queue: BlockQueue
    /// The buffer being filled by the calling thread, and how far.
    private let filler: BlockFiller
    private(set) var total = 0

    init(blockSize: Int = 1 << 20, blockCount: Int = 3) {
        queue = BlockQueue(blockSize: blockSize, blockCount: blockCount)
        filler = BlockFiller(queue)
    }

    /// Runs `produce` on the calling thread while a writer thread hashes (if `digest` is
    /// given) and writes every byte it hands over, in order, to `sink`. Rethrows the first
    /// error of either thread; the writer thread is always joined before this returns.
    func run(to sink: ByteSink, hashing digest: OriginalDigest?, _ produce: () throws -> Void) throws {
        let queue = self.queue
        queue.reset()
        filler.reset()
        total = 0
        var writerFailure: Error?
        let writer = try WorkerThread {
            while let block = queue.takeFilled() {
                do {
                    let bytes = UnsafeRawBufferPointer(rebasing: queue.buffer(block.index)[0..<block.count])
                    try digest?.update(bytes)
                    try sink.write(bytes)
                } catch {
                    writerFailure = error
                    queue.abort()
                    break
                }
                queue.recycle(block.index)
            }
        }

        do {
            try produce()
            filler.submitPartial()
            queue.end()
        } catch {
            queue.abort()
            writer.join()
            // A failed write makes the producer stop with `BlockQueue.Aborted`; report the cause.
            throw writerFailure ?? error
        }
        writer.join()
        if let writerFailure { throw writerFailure }
    }

    /// Lets `body` write into the free space of the current buffer (never empty) and
    /// returns the number of bytes it wrote; full buffers go to the writer thread.
    func fill(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int {
        let produced = try filler.fill(body)
        total += produced
        return produced
    }
}
