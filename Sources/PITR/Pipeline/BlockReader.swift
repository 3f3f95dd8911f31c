#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a source on a second thread, feeding each block to an `OriginalDigest` there,
/// while the calling thread consumes the blocks: reading and hashing overlap with
/// compressing, encrypting and writing. The blocks travel through a small bounded queue
/// of recycled buffers (mutex + condition variable), so memory stays at
/// `blockCount * blockSize` whatever the size of the source.
final class BlockReader {
    let blockSize: Int
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    // Guarded by `lock` while a reader thread runs.
    private var free: [Int] = []
    private var filled: [(index: Int, count: Int)] = []
    private var readerDone = false
    private var readerFailure: Error?
    private var cancelled = false

    // Set before the reader thread starts, used only by it until it is joined.
    private var source: ByteSource?
    private var digest: OriginalDigest?

    init(blockSize: Int = 1 << 20, blockCount: Int = 3) {
        self.blockSize = blockSize
        buffers = (0..<blockCount).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64) }
        free.reserveCapacity(blockCount)
        filled.reserveCapacity(blockCount)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        buffers.forEach { $0.deallocate() }
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        changed.deallocate()
    }

    /// Reads `source` to its end, hashing every byte into `digest` on the reader thread and
    /// handing each non-empty block, in order, to `consume` on the calling thread. The
    /// block is only valid during the call. Rethrows the first error of either thread;
    /// the reader thread is always joined before this returns.
    func read(_ source: ByteSource, digest: OriginalDigest, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        self.source = source
        self.digest = digest
        free = Array(buffers.indices)
        filled.removeAll(keepingCapacity: true)
        readerDone = false
        readerFailure = nil
        cancelled = false
        defer {
            self.source = nil
            self.digest = nil
        }

        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            if let argument { Unmanaged<BlockReader>.fromOpaque(argument).takeUnretainedValue().readerLoop() }
            return nil
        }, Unmanaged.passUnretained(self).toOpaque())
        guard started == 0 else { throw IOError("start the reader thread for", "the input", code: started) }

        do {
            try consumerLoop(consume)
        } catch {
            stopReader()
            pthread_join(thread, nil)
            throw error
        }
        pthread_join(thread, nil)
        if let readerFailure { throw readerFailure }
    }

    private func consumerLoop(_ consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        while true {
            pthread_mutex_lock(lock)
            while filled.isEmpty && !readerDone { pthread_cond_wait(changed, lock) }
            if filled.isEmpty {
                // The reader stopped without a final short block: it failed.
                pthread_mutex_unlock(lock)
                return
            }
            let block = filled.removeFirst()
            pthread_mutex_unlock(lock)

            if block.count > 0 {
                try consume(UnsafeRawBufferPointer(rebasing: buffers[block.index][0..<block.count]))
            }
            if block.count < blockSize { return }

            pthread_mutex_lock(lock)
            free.append(block.index)
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(lock)
        }
    }

    private func stopReader() {
        pthread_mutex_lock(lock)
        cancelled = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
    }

    /// Runs on the reader thread.
    private func readerLoop() {
        guard let source, let digest else { return }
        do {
            while true {
                pthread_mutex_lock(lock)
                while free.isEmpty && !cancelled { pthread_cond_wait(changed, lock) }
                if cancelled {
                    pthread_mutex_unlock(lock)
                    break
                }
                let index = free.removeFirst()
                pthread_mutex_unlock(lock)

                let buffer = buffers[index]
                let count = try readFully(source, into: buffer)
                try digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))

                pthread_mutex_lock(lock)
                filled.append((index, count))
                pthread_cond_broadcast(changed)
                pthread_mutex_unlock(lock)
                // A short block is the last one.
                if count < blockSize { break }
            }
        } catch {
            pthread_mutex_lock(lock)
            readerFailure = error
            pthread_mutex_unlock(lock)
        }
        pthread_mutex_lock(lock)
        readerDone = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
    }
}

/// Reads until `buffer` is full or `source` ends; returns the bytes read.
func readFully(_ source: ByteSource, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    var total = 0
    while total < buffer.count {
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
        if n == 0 { break }
        total += n
    }
    return total
}
