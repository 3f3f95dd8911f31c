import PITRPipeline
import PITRSupport

/// A file holding the repository's master key as base64 (of 32 bytes) and a newline.
/// Key files must not be readable by other users nor writable by anyone but their owner;
/// group-readable is allowed so a key can be owned by root and read by the postgres group
/// (`SecretFile.Policy.keyFile`).
public enum KeyFile {
    /// Larger than any key file with some whitespace; reading stops here so a wrong path
    /// (a WAL segment, a device) is refused rather than read whole.
    static let maximumSize = 1024

    /// Reads the key at `path`. Throws `ConfigError.keyFile` naming the file, never its content.
    public static func read(at path: String) throws -> MasterKey {
        switch load(path) {
        case .success(let key): return key
        case .failure(let problem): throw ConfigError.keyFile(path: path, problem: problem)
        }
    }

    /// The key at `path`, or why it cannot be used.
    static func load(_ path: String) -> Result<MasterKey, KeyFileProblem> {
        let file: SecretFile
        do {
            file = try SecretFile.read(path, limit: maximumSize)
        } catch let error as IOError {
            return .failure(.unreadable(reason: String(cString: strerror(error.code))))
        } catch {
            return .failure(.unreadable(reason: "\(error)"))
        }
        if let problem = file.problem(under: .keyFile) { return .failure(.access(problem)) }
        guard file.bytes.count <= maximumSize else { return .failure(.tooLarge) }
        return decode(String(decoding: file.bytes, as: UTF8.self))
    }

    /// Decodes a key from its base64 text, ignoring surrounding whitespace and newlines.
    public static func decode(_ text: String) -> Result<MasterKey, KeyFileProblem> {
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !isSpace($0) }),
              let end = scalars.lastIndex(where: { !isSpace($0) }) else { return .failure(.notBase64) }
        guard let bytes = Base64.decode(String(scalars[start...end])) else { return .failure(.notBase64) }
        guard let key = MasterKey(bytes: bytes) else { return .failure(.wrongLength(bytes.count)) }
        return .success(key)
    }

    /// Writes a new random key to `path`: base64 and a newline, mode 0600, fsynced with its folder.
    /// Never overwrites: an existing `path` throws `ConfigError.keyFileExists`.
    public static func generate(at path: String) throws {
        let key = try randomBytes(MasterKey.byteCount)
        let file: SystemFile
        do {
            file = try SystemFile.createExclusive(path, mode: 0o600)
        } catch let error as IOError where error.isAlreadyExists {
            throw ConfigError.keyFileExists(path: path)
        }
        do {
            // The umask may only have narrowed the mode; set it exactly so the file is usable as is.
            guard fchmod(file.descriptor, 0o600) == 0 else { throw IOError("chmod", path) }
            try file.write(Array((Base64.encode(key) + "\n").utf8))
            try file.sync()
            try FileSystem.syncDirectory(FileSystem.dirname(of: path))
        } catch {
            try? FileSystem.remove(path)
            throw error
        }
    }

    /// Bytes from the kernel's random source. getentropy(3) is glibc's wrapper of getrandom(2)
    /// that Swift's Glibc module exposes; it blocks only until the pool is first seeded.
    static func randomBytes(_ count: Int) throws -> [UInt8] {
        precondition(count <= 256, "getentropy returns at most 256 bytes a call")
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBytes { getentropy($0.baseAddress, count) }
        guard status == 0 else { throw ConfigError.randomUnavailable(reason: String(cString: strerror(errno))) }
        return bytes
    }
}
