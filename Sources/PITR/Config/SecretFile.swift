import PITRSupport

/// A file that holds a secret (a key file, a config file with an inline secret), read together
/// with the status of the descriptor it was read from: the permissions judged are those of the
/// bytes read, so no rename between a check and a read can swap the file. The one way both kinds
/// of file are read and checked.
struct SecretFile {
    /// Who may have access to a secret file besides its owner.
    enum Policy {
        /// A key file: its group may read it, so a key owned by root can be given to the postgres
        /// group (0640); nobody else may read it, and only its owner may change it.
        case keyFile
        /// A config file holding a secret setting: only its owner may read or change it (0600), and
        /// the owner is the user running the command or root, so no third account knows the secret
        /// or can change the settings around it.
        case configFile
    }

    let bytes: [UInt8]
    /// `st_mode`, `st_uid`, `st_gid` of the descriptor read.
    let mode: mode_t
    let owner: uid_t
    let group: gid_t

    /// Reads `path` whole, or its first `limit + 1` bytes when `limit` is given (so a caller can
    /// tell a file larger than `limit` without reading it all). Throws `IOError`.
    static func read(_ path: String, limit: Int? = nil) throws -> SecretFile {
        let file = try SystemFile.openForReading(path)
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { throw IOError("stat", path) }
        // Only a regular file is read: a directory or a device is refused by `problem(under:)` unread.
        let capacity = info.st_mode & S_IFMT != S_IFREG ? 0 : limit.map { $0 + 1 } ?? Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: capacity)
        let count = try bytes.withUnsafeMutableBytes { try file.readFully(into: $0) }
        bytes.removeLast(bytes.count - count)
        return SecretFile(bytes: bytes, mode: info.st_mode, owner: info.st_uid, group: info.st_gid)
    }

    /// Why the file may not hold a secret under `policy`, or nil when it may.
    func problem(under policy: Policy) -> FileAccessProblem? {
        let permissions = UInt32(mode & 0o7777)
        guard mode & S_IFMT == S_IFREG else { return .notRegularFile }
        guard mode & 0o006 == 0 else { return .openToOthers(mode: permissions) }
        guard mode & (policy == .keyFile ? 0o020 : 0o060) == 0 else { return .openToGroup(mode: permissions) }
        if policy == .configFile {
            let user = geteuid()
            guard owner == user || owner == 0 else { return .foreignOwner(owner: UInt32(owner), user: UInt32(user), mode: permissions) }
        }
        return nil
    }
}

/// Why a file may not hold a secret. Messages name the file and its mode, never its content.
public enum FileAccessProblem: Equatable, Sendable {
    case notRegularFile
    /// Other users may read or change it.
    case openToOthers(mode: UInt32)
    /// Its group may change it (or, for a config file, read it).
    case openToGroup(mode: UInt32)
    /// Owned by another user than the one running the command, and not by root.
    case foreignOwner(owner: UInt32, user: UInt32, mode: UInt32)

    /// A predicate phrase: "is not a regular file", "has mode 0644, ...".
    func description(path: String) -> String {
        let quoted = "'\(OneLine.of(path))'"
        switch self {
        case .notRegularFile:
            return "is not a regular file"
        case .openToOthers(let mode):
            return "has mode \(Self.octal(mode)), which lets other users read or change it: run chmod 600 \(quoted)"
        case .openToGroup(let mode):
            return "has mode \(Self.octal(mode)), which lets its group read or change it: run chmod 600 \(quoted)"
        case .foreignOwner(let owner, let user, let mode):
            let runner = user == 0 ? "root (uid 0)" : "the user running tailtown-pitr (uid \(user)) or root"
            return "is owned by uid \(owner), not by \(runner) (mode \(Self.octal(mode))): run chown \(user) \(quoted) and chmod 600 \(quoted)"
        }
    }

    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
