import PITRSupport

/// Writes decoded output on a second thread, hashing it there when asked, while the calling
/// thread reads, decrypts and decompresses straight into the writer's recycled buffers:
/// for plain objects the digest check, for all objects the write, overlap with decoding.
/// The thread starts with the first full buffer: output that fits in one (a sealed `archive.info`, which every
/// wal-push and wal-fetch reads) is hashed and written by the calling thread, without a thread to start and wait for.
final class BlockWriter {
    private let queue: BlockQueue
    /// The buffer being filled by the calling thread, and how far.
    private let filler: BlockFiller
    private(set) var total = 0
    /// While `run` runs: where the output goes, and the thread writing it once a buffer was full.
    private var output: (sink: ByteSink, digest: OriginalDigest?)?
    private var writer: WorkerThread?
    /// The first error hashing or writing met; read once the writing thread, if any, was joined.
    private var writerFailure: Error?

    init(blockSize: Int = 1 << 20, blockCount: Int = 3) {
        queue = BlockQueue(blockSize: blockSize, blockCount: blockCount)
        filler = BlockFiller(queue)
    }

    /// Runs `produce` on the calling thread while a writer thread hashes (if `digest` is
    /// given) and writes every byte it hands over, in order, to `sink`. Rethrows the first
    /// error of either thread; the writer thread is always joined before this returns.
    func run(to sink: ByteSink, hashing digest: OriginalDigest?, _ produce: () throws -> Void) throws {
        queue.reset()
        filler.reset()
        total = 0
        output = (sink, digest)
        writerFailure = nil
        defer {
            output = nil
            writer = nil
        }
        do {
            try produce()
            filler.submitPartial()
            queue.end()
        } catch {
            queue.abort()
            writer?.join()
            // A failed write makes the producer stop with `BlockQueue.Aborted`; report the cause.
            throw writerFailure ?? error
        }
        if let writer {
            writer.join()
        } else {
            writeFilled()
        }
        if let writerFailure { throw writerFailure }
    }

    /// Lets `body` write into the free space of the current buffer (never empty) and
    /// returns the number of bytes it wrote; full buffers go to the writer thread, started with the first.
    func fill(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> Int {
        let produced = try filler.fill(body)
        total += produced
        if writer == nil, total >= queue.blockSize {
            writer = try WorkerThread("writing decoded output") { [self] in writeFilled() }
        }
        return produced
    }

    /// Hashes and writes the filled buffers in order until the producer ends or either side gives up.
    private func writeFilled() {
        guard let (sink, digest) = output else { return }
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
}
