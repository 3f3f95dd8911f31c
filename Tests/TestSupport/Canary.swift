import Foundation

/// What a root process must never touch, for the tests that play an attacker against a root restore: a root-owned
/// folder under /tmp holding `folder/` (0755) with a root-only `secret` in it, and a root-only `file` beside it, both
/// holding `secret`. The attacker plants symlinks to `folder` and `file`; the test compares `snapshot()` before and
/// after, and looks for the secret in every file the attacker can read.
public final class Canary {
    public let root = NSTemporaryDirectory() + "tailtown-canary-" + UUID().uuidString
    public let secret = "ROOT-ONLY-" + UUID().uuidString
    public var folder: String { root + "/folder" }
    public var file: String { root + "/file" }

    public init() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(root, 0o755)
        chmod(folder, 0o755)
        FileManager.default.createFile(atPath: folder + "/secret", contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        FileManager.default.createFile(atPath: file, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Every entry below `root` with its mode, owner, group and contents.
    public func snapshot() -> [String] {
        Canary.walk(root).map { path, info in
            let contents = info.st_mode & S_IFMT == S_IFREG ? (try? String(contentsOfFile: path, encoding: .utf8)) ?? "?" : "-"
            return "\(path) \(String(info.st_mode, radix: 8)) \(info.st_uid):\(info.st_gid) \(contents)"
        }
    }

    /// Regular files below `path` (symlinks not followed) that hold the secret.
    public func filesHoldingTheSecret(below path: String) -> [String] {
        Canary.walk(path).filter { $0.1.st_mode & S_IFMT == S_IFREG }.map(\.0).filter {
            ((try? String(contentsOfFile: $0, encoding: .utf8)) ?? "").contains(secret)
        }
    }

    /// Every entry below `path` (itself included), never following a symlink.
    static func walk(_ path: String) -> [(String, stat)] {
        var info = stat()
        guard lstat(path, &info) == 0 else { return [] }
        var entries = [(path, info)]
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() {
                entries += walk(path + "/" + name)
            }
        }
        return entries
    }
}
