/// The trailer a file would get, computed in one pass without compressing (for duplicate
/// checks: compare kind+digest+size with a stored trailer).
public enum FileDigest {
    public static func compute(from source: ByteSource, key: MasterKey?) throws -> ObjectTrailer {
        let digest = try OriginalDigest(key: key)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { break }
            try digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return try digest.finish()
    }
}
