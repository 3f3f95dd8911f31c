import PITRSupport

/// Writes a report file (`status --html`, `check --prometheus`) atomically and durably, so a reader
/// (node_exporter, a web server) never sees half a file. Readable by others (0644): these files are
/// meant to be served.
public enum ReportFile {
    public static func write(_ text: String, to path: String) throws {
        try AtomicFile.write(Array(text.utf8), to: path, mode: 0o644, durable: true)
    }
}
