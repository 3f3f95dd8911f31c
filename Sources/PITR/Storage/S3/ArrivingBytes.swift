import PITRSupport

/// The bytes of one chunk as its GET delivers them, shared by the thread that downloads and the thread that reads:
/// every byte appended is final (the object's own, at its place), so the reader takes them as they come instead of
/// after the whole chunk, and the download overlaps with what the reader does (decrypting, decompressing, writing).
final class ArrivingBytes {
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var bytes: [UInt8] = []
    private var ended = false
    private var abandoned = false
    /// The count of bytes the reader waits for: the downloader wakes it only then (or at the end), not at each piece
    /// libcurl hands over (16 KiB), so a reader of whole 1 MiB chunks wakes once per chunk.
    private var wanted = Int.max

    /// What `append` throws once the reader gave up: it aborts the transfer, and no retry follows.
    struct Abandoned: Error {}

    init(capacity: Int) {
        // Mapped lazily: a small object touches only its own pages.
        bytes.reserveCapacity(capacity)
    }

    /// The bytes so far.
    var count: Int { lock.locked { bytes.count } }

    /// Downloader: appends `more`; throws `Abandoned` once the reader gave up.
    func append(_ more: UnsafeRawBufferPointer) throws {
        try lock.locked {
            if abandoned { throw Abandoned() }
            bytes += more
            if bytes.count >= wanted { lock.broadcast() }
        }
    }

    /// Downloader: no more bytes come (the download ended, whole or failed); returns them all.
    @discardableResult
    func end() -> [UInt8] {
        lock.locked {
            ended = true
            lock.broadcast()
            return bytes
        }
    }

    /// Reader: waits for the first byte or the end; returns whether bytes arrived.
    func waitForFirst() -> Bool {
        lock.locked {
            wait(for: 1)
            return !bytes.isEmpty
        }
    }

    /// Reader: copies the bytes from `offset` on into `destination`, waiting until they fill it or the download ended;
    /// 0 once it ended and every byte was read.
    func read(into destination: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        lock.locked {
            wait(for: offset + destination.count)
            let count = min(destination.count, bytes.count - offset)
            bytes.withUnsafeBytes { source in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
            }
            return count
        }
    }

    /// Inside `locked`: waits until `count` bytes arrived or the download ended.
    private func wait(for count: Int) {
        wanted = count
        while bytes.count < count && !ended { lock.wait() }
        wanted = Int.max
    }

    /// Reader: gives up; the download stops at its next bytes.
    func abandon() {
        lock.locked { abandoned = true }
    }
}
