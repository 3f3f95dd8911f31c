/// Writes a report file (`status --html`, `check --prometheus`) atomically: a hidden temporary
/// file beside it, fsynced, then renamed over it, so a reader (node_exporter, a web server) never
/// sees half a file. Readable by others (0644): these files are meant to be served.
public enum ReportFile {
    public static func write(_ text: String, to path: String) throws {
        let temporary = FileSystem.temporaryName(for: path)
        try FileSystem.remove(temporary)
        do {
            let file = try SystemFile.createExclusive(temporary, mode: 0o644)
            try file.write(Array(text.utf8))
            try file.sync()
            try FileSystem.rename(temporary, to: path)
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }
    }
}
