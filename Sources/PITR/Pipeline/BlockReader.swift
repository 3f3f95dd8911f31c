import PITRSupport

/// Reads a source on a second thread, feeding each block to an `OriginalDigest` there,
/// while the calling thread consumes the blocks: reading and hashing overlap with
/// compressing, encrypting and writing (docs/format.md puts the digest in the trailer so
/// this stays one pass).
final class BlockReader {
    private let queue: BlockQueue

    /// Two leaves per block by default, which the digest hashes as a pair (`OriginalDigest.update`);
    /// two blocks let the reader fill one while the other is consumed.
    init(blockSize: Int = 2 * OriginalDigest.leafSize, blockCount: Int = 2) {
        queue = BlockQueue(blockSize: blockSize, blockCount: blockCount)
    }

    /// Reads `source` to its end, hashing every byte into `digest` on the reader thread and
    /// handing each non-empty block, in order, to `consume` on the calling thread (the
    /// block is valid only during the call). Rethrows the first error of either thread;
    /// the reader thread is always joined before this returns.
    func read(_ source: ByteSource, digest: OriginalDigest, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        let queue = self.queue
        queue.reset()
        var readerFailure: Error?
        let reader = try WorkerThread {
            do {
                while let index = queue.takeFree() {
                    let buffer = queue.buffer(index)
                    let count = try readFully(source, into: buffer)
                    try digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                    queue.submit(index, count: count)
                    // readFully stops short only at the end of the source.
                    if count < buffer.count { break }
                }
            } catch {
                readerFailure = error
            }
            queue.end()
        }

        do {
            while let block = queue.takeFilled() {
                if block.count > 0 {
                    try consume(UnsafeRawBufferPointer(rebasing: queue.buffer(block.index)[0..<block.count]))
                }
                queue.recycle(block.index)
            }
        } catch {
            queue.abort()
            reader.join()
            throw error
        }
        reader.join()
        if let readerFailure { throw readerFailure }
    }
}
