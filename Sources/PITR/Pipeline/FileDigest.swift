import PITRNative
import PITRSupport

/// The trailer a file would get, computed without compressing (for duplicate checks:
/// compare kind, digest and size with a stored trailer).
public enum FileDigest {
    /// Below this size one thread hashes everything: a second thread would save less than
    /// it costs to start.
    static let parallelThreshold = 2 * OriginalDigest.leafSize

    /// Hashes a local file straight from a read-only mapping: no copy into a buffer, which
    /// keeps a repeated push of a 16 MiB segment close to the hash's own speed. Each leaf's
    /// pages leave the process once hashed, so the peak RSS holds a leaf or two, not the file.
    /// `identity` nil gives format 1's trailer (to compare with an object of that format).
    public static func compute(file: SystemFile, key: MasterKey?, identity: ObjectIdentity?) throws -> ObjectTrailer {
        try file.withMappedBytes { try compute(bytes: $0, key: key, identity: identity, hashed: SystemFile.releaseMappedPages) }
    }

    /// From `parallelThreshold` bytes on, a worker thread and the calling thread each take the next part not yet
    /// taken (two leaves, hashed as a pair, or one where the processor has no SHA extensions) until none is left
    /// (`LeafParts`); the result equals streaming every byte through `OriginalDigest.update`. The calling thread waits
    /// only for the parts the worker took: on a busy machine, where the worker may start late or not at all before
    /// the calling thread is done, it hashes the rest itself instead of waiting for the worker's turn.
    public static func compute(bytes: UnsafeRawBufferPointer, key: MasterKey?, identity: ObjectIdentity?,
                               hashed: @escaping (UnsafeRawBufferPointer) -> Void = { _ in }) throws -> ObjectTrailer {
        let digest = try OriginalDigest(key: key)
        guard bytes.count >= parallelThreshold else {
            try digest.update(bytes)
            return try digest.finish(identity: identity)
        }
        let parts = LeafParts(bytes, leavesPerPart: SHA256Pair.isAvailable ? 2 : 1)
        // Detached: the worker touches only the parts it takes, which `hashAll` waits for, so nothing
        // waits for the thread itself; one that starts after the last part was taken finds nothing to do.
        try WorkerThread("hashing a file's leaves") { _ = parts.hashAll(hashed: hashed, waitForOthers: false) }.detach()
        return try digest.trailer(size: bytes.count, leafDigests: parts.hashAll(hashed: hashed, waitForOthers: true).get(), identity: identity)
    }
}

/// The leaves of one file cut into parts that two threads take in turn, each part hashed by whichever thread took it.
private final class LeafParts {
    private let bytes: UnsafeRawBufferPointer
    private let partSize: Int
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var digests: [[UInt8]]
    private var next = 0
    private var unfinished = 0
    private var failure: Error?

    init(_ bytes: UnsafeRawBufferPointer, leavesPerPart: Int) {
        self.bytes = bytes
        partSize = leavesPerPart * OriginalDigest.leafSize
        digests = Array(repeating: [], count: (bytes.count + partSize - 1) / partSize)
    }

    /// Takes and hashes parts until none is left; with `waitForOthers`, then waits until the parts other threads took
    /// are hashed too, and returns every leaf digest in order (or the first failure).
    /// A thread is done with the file, and with libcrypto, once it finished its last part.
    func hashAll(hashed: (UnsafeRawBufferPointer) -> Void, waitForOthers: Bool) -> Result<[UInt8], Error> {
        while let part = take() {
            let start = part * partSize
            let leaves = Result {
                try OriginalDigest.hashLeaves(of: UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + partSize, bytes.count)]),
                                              hashed: hashed)
            }
            finish(part, leaves)
        }
        guard waitForOthers else { return .success([]) }
        return lock.locked {
            while unfinished > 0 { lock.wait() }
            if let failure { return .failure(failure) }
            return .success(digests.flatMap { $0 })
        }
    }

    /// The next part nobody took, nil when all were taken or one failed.
    private func take() -> Int? {
        lock.locked {
            guard next < digests.count, failure == nil else { return nil }
            next += 1
            unfinished += 1
            return next - 1
        }
    }

    private func finish(_ part: Int, _ leaves: Result<[UInt8], Error>) {
        lock.locked {
            switch leaves {
            case .success(let leaves): digests[part] = leaves
            case .failure(let error): failure = failure ?? error
            }
            unfinished -= 1
            lock.broadcast()
        }
    }
}
