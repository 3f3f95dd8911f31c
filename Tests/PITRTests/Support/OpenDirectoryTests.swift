import Foundation
import Testing
@testable import PITRSupport

@Suite struct OpenDirectoryTests {
    /// A root-owned folder under /tmp, removed after.
    final class Folder {
        let path = NSTemporaryDirectory() + "tailtown-open-directory-" + UUID().uuidString
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test(.enabled(if: getuid() == 0 && getpwnam("postgres") != nil, "needs root and a postgres account"))
    func followsOnlySymlinksNoOneButRootCouldChange() throws {
        let folder = try Folder()
        let real = folder.path + "/real"
        try FileManager.default.createDirectory(atPath: real + "/inside", withIntermediateDirectories: true)
        chmod(folder.path, 0o755)
        // Root's link in root's folder that no one else may write: followed, as /var/run's is.
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/link", withDestinationPath: "real")
        #expect(try OpenDirectory.open(folder.path + "/link/inside").path == folder.path + "/real/inside")
        #expect(try OpenDirectory.open(folder.path + "/link/../real/inside").path == folder.path + "/real/inside")

        // The same link in a folder postgres may write, or postgres's own link: refused.
        let postgres = try #require(getpwnam("postgres")).pointee
        let writable = folder.path + "/writable"
        try FileManager.default.createDirectory(atPath: writable, withIntermediateDirectories: false)
        chown(writable, postgres.pw_uid, postgres.pw_gid)
        try FileManager.default.createSymbolicLink(atPath: writable + "/link", withDestinationPath: real)
        #expect(throws: DirectoryError.untrustedSymlink(path: writable + "/link")) { try OpenDirectory.open(writable + "/link/inside") }
        lchown(folder.path + "/link", postgres.pw_uid, postgres.pw_gid)
        #expect(throws: DirectoryError.untrustedSymlink(path: folder.path + "/link")) { try OpenDirectory.open(folder.path + "/link") }
    }

    @Test func neverFollowsASymlinkBelowAnOpenDirectory() throws {
        let folder = try Folder()
        let directory = try OpenDirectory.open(folder.path)
        FileManager.default.createFile(atPath: folder.path + "/secret", contents: Data("secret".utf8))
        try directory.makeSymlink("link", to: folder.path + "/secret")
        try directory.makeSymlink("folder-link", to: folder.path)
        #expect(throws: IOError.self) { try directory.directory("folder-link") }
        #expect(throws: IOError.self) { try directory.createFile("link", mode: 0o600) }
        #expect(throws: DirectoryError.notRegularFile(path: folder.path + "/link")) { try directory.readOwnedFile("link", owners: [getuid()]) }
        #expect(throws: DirectoryError.notAName(name: "../x", directory: folder.path)) { try directory.createFile("../x", mode: 0o600) }
        // A hard link is a second name: not read as the file of whoever owns the folder.
        #expect(link(folder.path + "/secret", folder.path + "/hard") == 0)
        #expect(throws: DirectoryError.unexpectedOwner(path: folder.path + "/hard", uid: getuid())) {
            try directory.readOwnedFile("hard", owners: [getuid()])
        }
        // Replacing a name replaces a symlink there, never what it points at.
        try directory.replaceFile("link", with: Array("new".utf8), mode: 0o600)
        #expect(try String(contentsOfFile: folder.path + "/secret", encoding: .utf8) == "secret")
        #expect(try directory.readOwnedFile("link", owners: [getuid()]) == Array("new".utf8))
        #expect(try directory.list().sorted() == ["folder-link", "hard", "link", "secret"])
    }
}
