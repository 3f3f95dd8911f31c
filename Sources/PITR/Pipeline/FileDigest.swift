/// The trailer a file would get, computed without compressing (for duplicate checks:
/// compare kind, digest and size with a stored trailer).
public enum FileDigest {
    /// Hashes a local file straight from a read-only mapping: no copy into a buffer, which
    /// keeps a repeated push of a 16 MiB segment close to the hash's own speed.
    public static func compute(file: SystemFile, key: MasterKey?) throws -> ObjectTrailer {
        try file.withMappedBytes { try compute(bytes: $0, key: key) }
    }

    public static func compute(bytes: UnsafeRawBufferPointer, key: MasterKey?) throws -> ObjectTrailer {
        let digest = try OriginalDigest(key: key)
        try digest.update(bytes)
        return try digest.finish()
    }
}
