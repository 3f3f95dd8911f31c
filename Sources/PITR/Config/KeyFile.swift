import PITRPipeline
import PITRSupport

/// A file holding the repository's master keys (docs/format.md, "Key file"): one active key, which encrypts, and the
/// keys a rotation added or retired, which decrypt. Key files must not be readable by other users nor writable by
/// anyone but their owner; group-readable is allowed so a key can be owned by root and read by the postgres group
/// (`SecretFile.Policy.keyFile`). Rewrites (`rotate`, `activate`) replace the file whole and keep its mode and owner.
public enum KeyFile {
    /// Larger than any key file with years of rotations; reading stops here so a wrong path (a WAL segment, a device)
    /// is refused rather than read whole.
    static let maximumSize = 64 * 1024

    /// Reads the keys at `path`, unwrapping wrapped ones with `wrapping`. Throws `ConfigError.keyFile` naming the file,
    /// never its content.
    public static func read(at path: String, wrapping: KeyWrapping? = nil) throws -> Keyring {
        switch load(path, wrapping: wrapping) {
        case .success(let keyring): return keyring
        case .failure(let problem): throw ConfigError.keyFile(path: path, problem: problem)
        }
    }

    /// The keys at `path`, or why they cannot be used.
    static func load(_ path: String, wrapping: KeyWrapping?) -> Result<Keyring, KeyFileProblem> {
        loadText(path).flatMap { $0.text.keyring(file: path, wrapping: wrapping) }
    }

    /// Decodes one key from its base64 text, ignoring surrounding whitespace and newlines: a key file of the older form
    /// and TAILTOWN_ENCRYPTION_KEY.
    public static func decode(_ text: String) -> Result<MasterKey, KeyFileProblem> {
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !isSpace($0) }),
              let end = scalars.lastIndex(where: { !isSpace($0) }) else { return .failure(.notBase64) }
        guard let bytes = Base64.decode(String(scalars[start...end])) else { return .failure(.notBase64) }
        guard let key = MasterKey(bytes: bytes) else { return .failure(.wrongLength(bytes.count)) }
        return .success(key)
    }

    /// Writes a new file at `path` with one new random key, active: mode 0600, fsynced with its folder. With a
    /// `wrapping` that wraps new keys (TAILTOWN_KMS_KEY_ID), the file holds the key wrapped only.
    /// Never overwrites: an existing `path` throws `ConfigError.keyFileExists`. Returns the key's id.
    public static func generate(at path: String, wrapping: KeyWrapping? = nil) throws -> String {
        let key = try randomKey()
        let text = try KeyFileText(active: key, wrapping: wrapping).text
        let file: SystemFile
        do {
            file = try SystemFile.createExclusive(path, mode: 0o600)
        } catch let error as IOError where error.isAlreadyExists {
            throw ConfigError.keyFileExists(path: path)
        }
        do {
            // The umask may only have narrowed the mode; set it exactly so the file is usable as is.
            guard fchmod(file.descriptor, 0o600) == 0 else { throw IOError("chmod", path) }
            try file.write(Array(text.utf8))
            try file.sync()
            try FileSystem.syncDirectory(FileSystem.dirname(of: path))
        } catch {
            try? FileSystem.remove(path)
            throw error
        }
        return key.keyIDHex
    }

    /// `keygen --rotate`: adds a new random key to the file at `path` as pending (it decrypts, it does not encrypt yet).
    /// Refuses while the file has a pending key. The new key is wrapped when `wrapping` wraps new keys. Returns its id.
    public static func rotate(at path: String, wrapping: KeyWrapping? = nil) throws -> String {
        try rewrite(path, wrapping: wrapping) { file in
            if let pending = file.keys.first(where: { $0.status == .pending }) {
                throw ConfigError.pendingKeyExists(path: path, keyID: pending.id)
            }
            let key = try randomKey()
            try file.append(key, status: .pending, wrapping: wrapping)
            return key.keyIDHex
        }
    }

    /// `keygen --activate ID`: makes the pending key `id` active and the active key retired.
    public static func activate(_ id: String, at path: String, wrapping: KeyWrapping? = nil) throws {
        try rewrite(path, wrapping: wrapping) { file in
            let wanted = id.lowercased()
            let status = file.keys.first { $0.id == wanted }?.status
            guard status == .pending else { throw ConfigError.notPendingKey(path: path, keyID: id, status: status) }
            file.activate(wanted)
        }
    }

    /// Reads, checks and changes the file at `path`, then replaces it whole (`AtomicFile`: a temporary file in the same
    /// folder, fsynced, renamed over it, the folder fsynced) with the same mode, owner and group. A symbolic link is
    /// followed, so the file it names is rewritten and the link stays.
    private static func rewrite<T>(_ path: String, wrapping: KeyWrapping?, _ change: (inout KeyFileText) throws -> T) throws -> T {
        let target = realpath(path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? path
        let loaded: (text: KeyFileText, file: SecretFile)
        switch loadText(target) {
        case .success(let read): loaded = read
        case .failure(let problem): throw ConfigError.keyFile(path: path, problem: problem)
        }
        if case .failure(let problem) = loaded.text.keyring(file: path, wrapping: wrapping) { throw ConfigError.keyFile(path: path, problem: problem) }
        var text = loaded.text
        let result = try change(&text)
        let mode = loaded.file.mode & 0o777, owner = loaded.file.owner, group = loaded.file.group
        try AtomicFile.write(Array(text.text.utf8), to: target, mode: mode, durable: true) { written in
            var info = stat()
            guard fstat(written.descriptor, &info) == 0 else { throw IOError("stat", written.path) }
            if info.st_uid != owner || info.st_gid != group {
                guard fchown(written.descriptor, owner, group) == 0 else { throw IOError("chown", written.path) }
            }
            // The umask may have narrowed the mode.
            guard fchmod(written.descriptor, mode) == 0 else { throw IOError("chmod", written.path) }
        }
        return result
    }

    /// The parsed text at `path` and the file as read, or why it cannot be used.
    private static func loadText(_ path: String) -> Result<(text: KeyFileText, file: SecretFile), KeyFileProblem> {
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
        return KeyFileText.parse(String(decoding: file.bytes, as: UTF8.self)).map { ($0, file) }
    }

    private static func randomKey() throws -> MasterKey {
        guard let key = MasterKey(bytes: try randomBytes(MasterKey.byteCount)) else { preconditionFailure("32 random bytes make a key") }
        return key
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
