import PITRSupport

/// A detached helper's lock file: the running helper holds an exclusive flock on it for its
/// whole life; the kernel drops it when the process ends, however it ends. The holder may write
/// a line about itself into the file (`describeHolder`), for others to read while it holds it.
final class HelperLock {
    private let descriptor: Int32
    private let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Takes the lock without waiting; nil when another process holds it.
    static func take(_ path: String) throws -> HelperLock? {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw IOError("open", path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return HelperLock(descriptor: descriptor, path: path)
    }

    /// Takes the lock, trying again for a while: a command that asks `isHeld` holds it for an
    /// instant, and a helper starting in that instant must not give up. `pause` runs between attempts.
    static func take(_ path: String, attempts: Int, pause: () -> Void = { usleep(10_000) }) throws -> HelperLock? {
        for attempt in 1...max(1, attempts) {
            if let lock = try take(path) { return lock }
            if attempt < attempts { pause() }
        }
        return nil
    }

    /// True when some process holds the lock (taking it for an instant otherwise).
    static func isHeld(_ path: String) throws -> Bool {
        try take(path) == nil
    }

    /// What the holder wrote about itself, when some process holds the lock; nil when none does.
    /// A helper that has just taken the lock may not have written yet: the text can be older.
    static func holderDescription(_ path: String) throws -> String? {
        guard try isHeld(path) else { return nil }
        return (try? FileSystem.readFile(path)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Replaces the file's text with `text`, for `holderDescription`.
    func describeHolder(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard ftruncate(descriptor, 0) == 0 else { throw IOError("truncate", path) }
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { throw IOError("write", path) }
    }
}
