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

    /// From `parallelThreshold` bytes on, a worker thread hashes the first half of the
    /// leaves while the calling thread hashes the rest; the result equals streaming every
    /// byte through `OriginalDigest.update`.
    public static func compute(bytes: UnsafeRawBufferPointer, key: MasterKey?, identity: ObjectIdentity?,
                               hashed: @escaping (UnsafeRawBufferPointer) -> Void = { _ in }) throws -> ObjectTrailer {
        let digest = try OriginalDigest(key: key)
        // The worker starts late, so it gets the smaller half; the split is a leaf boundary, after
        // an even number of leaves where leaves are hashed in pairs.
        let leaves = OriginalDigest.leafCount(bytes.count)
        let workerLeaves = SHA256Pair.isAvailable ? leaves / 4 * 2 : leaves / 2
        guard bytes.count >= parallelThreshold, workerLeaves > 0 else {
            try digest.update(bytes)
            return try digest.finish(identity: identity)
        }
        let split = workerLeaves * OriginalDigest.leafSize
        let front = UnsafeRawBufferPointer(rebasing: bytes[0..<split])
        let back = UnsafeRawBufferPointer(rebasing: bytes[split...])
        let frontHasher = try SHA256Hasher()
        let backHasher = try SHA256Hasher()

        var frontLeaves: Result<[UInt8], Error> = .success([])
        let worker = try WorkerThread {
            frontLeaves = Result { try OriginalDigest.hashLeaves(of: front, with: frontHasher, hashed: hashed) }
        }
        let backLeaves = Result { try OriginalDigest.hashLeaves(of: back, with: backHasher, hashed: hashed) }
        worker.join()
        return try digest.trailer(size: bytes.count, leafDigests: frontLeaves.get() + backLeaves.get(), identity: identity)
    }
}
