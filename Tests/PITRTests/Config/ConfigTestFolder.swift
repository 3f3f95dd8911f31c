import Testing
@testable import PITRConfig
@testable import PITRSupport

/// A real temporary folder for configuration tests, removed with its files when released.
final class ConfigTestFolder {
    let path: String

    init() {
        var template = Array("/tmp/tailtown-config-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? "/tmp/tailtown-config-test-failed"
    }

    deinit {
        for name in (try? FileSystem.list(path)) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }

    /// Writes `text` to `name` with `mode` (set exactly, whatever the umask) and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
        let file = path + "/" + name
        try FileSystem.remove(file)
        let handle = try SystemFile.createExclusive(file, mode: mode)
        try handle.write(Array(text.utf8))
        chmod(file, mode)
        return file
    }

    func mode(of name: String) -> mode_t {
        var info = stat()
        stat(path + "/" + name, &info)
        return info.st_mode & 0o777
    }

    /// Path of a default file that does not exist, so tests never depend on /etc.
    var absentDefault: String { path + "/absent-default.conf" }
}

/// The error a throwing call raised, as a `ConfigError`, or nil if it did not throw one.
func configError<T>(_ body: () throws -> T) -> ConfigError? {
    do {
        _ = try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        return nil
    }
}
