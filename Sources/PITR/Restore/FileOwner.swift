import PITRSupport

/// The account PostgreSQL will run as on the restored directory: every file restore creates
/// is handed to it when restore runs as root, so no root-owned file is ever left behind.
public struct FileOwner: Equatable, Sendable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t

    /// Looks up `name` in the user database.
    public init(name: String) throws {
        guard let entry = getpwnam(name) else { throw RestoreError.unknownOwner(user: name) }
        self.name = name
        uid = entry.pointee.pw_uid
        gid = entry.pointee.pw_gid
    }

    /// `--owner` when given; else the owner of `parent` unless that is root; else `postgres`.
    public static func choose(_ requested: String?, parentOf target: String) throws -> FileOwner {
        if let requested { return try FileOwner(name: requested) }
        var info = stat()
        if stat(FileSystem.dirname(of: target), &info) == 0, info.st_uid != 0, let entry = getpwuid(info.st_uid) {
            return try FileOwner(name: String(cString: entry.pointee.pw_name))
        }
        return try FileOwner(name: "postgres")
    }

    /// True when this process must hand files over (it runs as root and the owner is someone else).
    public var needsHandOver: Bool { geteuid() == 0 && uid != 0 }

    /// Whether the owner may read `path`, judged by its mode bits (ACLs and folder permissions aside).
    func mayRead(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        if uid == 0 { return true }
        if info.st_uid == uid { return info.st_mode & S_IRUSR != 0 }
        if info.st_gid == gid { return info.st_mode & S_IRGRP != 0 }
        return info.st_mode & S_IROTH != 0
    }

    /// Gives the open file to the owner (when restore runs as root).
    package func take(_ file: SystemFile) throws {
        guard needsHandOver else { return }
        if fchown(file.descriptor, uid, gid) != 0 { throw IOError("change the owner of", file.path) }
    }

    /// Gives `path` (a symlink itself, not its target) to the owner (when restore runs as root).
    package func take(path: String) throws {
        guard needsHandOver else { return }
        if lchown(path, uid, gid) != 0 { throw IOError("change the owner of", path) }
    }
}
