/// The one way a whole file is replaced: written under a hidden temporary name beside it
/// (`FileSystem.temporaryName`), then renamed over it, so that a reader finds the old file or the new one,
/// never half of one. The temporary file is removed when anything fails.
public enum AtomicFile {
    /// Writes `bytes` to `path` with `mode`. `prepare` runs on the written file before it is renamed (to give it
    /// to another owner, say). `durable` syncs the file before the rename and the folder after it.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t, durable: Bool,
                             prepare: (SystemFile) throws -> Void = { _ in }) throws {
        try write(to: path, mode: mode, durable: durable) { file in
            try file.write(bytes)
            try prepare(file)
        }
    }

    /// The same, with what `fill` writes into the new file (streamed: a file too large to hold).
    public static func write(to path: String, mode: mode_t, durable: Bool, fill: (SystemFile) throws -> Void) throws {
        let temporary = FileSystem.temporaryName(for: path)
        do {
            let file = try SystemFile.createExclusive(temporary, mode: mode)
            try fill(file)
            if durable { try file.sync() }
            try FileSystem.rename(temporary, to: path)
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }
        if durable { try FileSystem.syncDirectory(FileSystem.dirname(of: path)) }
    }
}
