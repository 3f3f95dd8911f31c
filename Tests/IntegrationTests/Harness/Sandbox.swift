import Foundation
@testable import PITRRetention

/// A private folder under /tmp owned by `postgres` (mode 0700) holding one test's clusters, repository, keys and
/// a copy of the tailtown-pitr binary, so that `postgres` can run it whatever the permissions of the clone's folder.
/// Removed with everything in it when released; clusters keep their sandbox alive until they are stopped.
final class Sandbox {
    let root: String
    /// The copy of tailtown-pitr that PostgreSQL and the tests run.
    let binary: String
    private var usedPorts: Set<Int> = []

    init() throws {
        let source = Sandbox.builtBinary()
        guard FileManager.default.isExecutableFile(atPath: source) else { throw HarnessError.missingBinary(source) }
        var template = Array("/tmp/tailtown-it-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError.system("cannot create a sandbox under /tmp: errno \(errno)") }
        root = String(cString: made)
        binary = root + "/tailtown-pitr"
        try FileManager.default.copyItem(atPath: source, toPath: binary)
        chmod(binary, 0o755)
        try Sandbox.giveToPostgres(root, mode: 0o700)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// `TAILTOWN_BIN`, else `<package root>/.build/debug/tailtown-pitr` (the package root is found from this file's path).
    static func builtBinary() -> String {
        if let path = ProcessInfo.processInfo.environment["TAILTOWN_BIN"], !path.isEmpty { return path }
        return packageRoot + "/.build/debug/tailtown-pitr"
    }

    /// The package's root folder, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func path(_ relative: String) -> String { root + "/" + relative }

    /// The sandbox's own cache folder, TAILTOWN_CACHE_DIR of every config the harness writes: no two tests share cached
    /// credentials or repository metadata (the default would be /tmp/.cache/tailtown-pitr, HOME being /tmp).
    var cacheFolder: String { path("cache") }

    /// Creates `relative` (and its parents) owned by postgres, mode 0700; returns its absolute path.
    @discardableResult
    func makeDirectory(_ relative: String) throws -> String {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        try Sandbox.giveToPostgres(full, mode: 0o700)
        return full
    }

    /// Writes `contents` to `relative`, owned by postgres with `mode`; returns its absolute path.
    @discardableResult
    func writeFile(_ relative: String, _ contents: String, mode: mode_t = 0o600) throws -> String {
        let full = path(relative)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
        try Sandbox.giveToPostgres(full, mode: mode)
        return full
    }

    /// Runs the sandbox's tailtown-pitr as postgres in `directory` (default: the sandbox).
    func tailtown(_ arguments: [String], in directory: String? = nil) throws -> CommandResult {
        try Command.runAsPostgres(binary, arguments, in: directory ?? root)
    }

    /// A TCP port nothing listens on and no other cluster of this sandbox uses (the socket lives in the sandbox).
    func freePort() throws -> Int {
        for _ in 0..<200 {
            let candidate = Int.random(in: 54_000..<55_000)
            if candidate == 5432 || usedPorts.contains(candidate) || !Sandbox.canBind(candidate) { continue }
            usedPorts.insert(candidate)
            return candidate
        }
        throw HarnessError.system("no free TCP port found in 54000-54999")
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// `giveToPostgres` for a folder the test filled (an extracted backup): everything in it is postgres's too.
    static func giveTreeToPostgres(_ path: String, mode: mode_t) throws {
        if Command.isRoot { try Command.run("/bin/chown", ["-R", "postgres:postgres", path]).check() }
        try giveToPostgres(path, mode: mode)
    }

    /// chown to postgres when running as root (otherwise everything already belongs to the user running the tests).
    static func giveToPostgres(_ path: String, mode: mode_t) throws {
        if Command.isRoot {
            guard let account = getpwnam("postgres") else { throw HarnessError.missingPostgreSQL("no postgres account") }
            guard chown(path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw HarnessError.system("chown postgres \(path) failed: errno \(errno)")
            }
        }
        guard chmod(path, mode) == 0 else { throw HarnessError.system("chmod \(path) failed: errno \(errno)") }
    }
}
