/// Where this process runs from: its executable, its working directory, and paths made absolute against it.
public enum ProcessPaths {
    /// This process's own executable, from `/proc/self/exe` (so that a command written for PostgreSQL, or a helper
    /// started from it, depends on neither PATH nor the current directory); nil when it cannot be read.
    public static func executable() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The current directory; "/" when it cannot be read.
    public static func workingDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(cString: buffer)
    }

    /// `path` made absolute: resolved (`realpath`) when it exists, else joined to the current directory, without
    /// trailing slashes.
    public static func absolute(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        var full = path.hasPrefix("/") ? path : workingDirectory() + "/" + path
        while full.count > 1 && full.hasSuffix("/") { full.removeLast() }
        return full
    }

    /// Where scratch files go: TMPDIR when it names an absolute path, else /tmp.
    public static var temporaryFolder: String {
        if let folder = getenv("TMPDIR").map({ String(cString: $0) }), folder.hasPrefix("/") { return folder }
        return "/tmp"
    }
}
