import Foundation
import Testing
@testable import PITRConfig
@testable import PITRRestore
@testable import PITRSupport

@Suite struct RecoveryConfigFileTests {
    func settings(_ folder: RestoreTestFolder, environment: [String: String]) throws -> Settings {
        try Settings.load(flags: ["TAILTOWN_REPO": "file:///srv/repo"], environment: environment, defaultFile: folder.path + "/absent.conf")
    }

    @Test func holdsTheGivenSettingsWithAbsolutePathsAndQuotedValues() throws {
        let folder = try RestoreTestFolder()
        let settings = try settings(folder, environment: [
            "TAILTOWN_ENCRYPTION_KEY_FILE": "keys/tailtown.key",
            "AWS_SECRET_ACCESS_KEY": #"se"cr\et"#,
            "PATH": "/usr/bin",
        ])
        let config = RecoveryConfigFile(path: folder.path + "/data.tailtown-pitr.conf", settings: settings, workingDirectory: "/root")
        #expect(config.lines.map(\.name) == ["TAILTOWN_REPO", "TAILTOWN_ENCRYPTION_KEY_FILE", "AWS_SECRET_ACCESS_KEY"])
        let text = try config.text(target: folder.path + "/data")
        #expect(text.contains("TAILTOWN_ENCRYPTION_KEY_FILE=\"/root/keys/tailtown.key\"\n"))
        // Read back by the config file parser wal-fetch uses: the same values.
        let parsed = try ConfigFile.parse(text, path: config.path)
        #expect(parsed.entries["AWS_SECRET_ACCESS_KEY"]?.value == #"se"cr\et"#)
        #expect(parsed.entries["TAILTOWN_REPO"]?.value == "file:///srv/repo")
    }

    @Test func isWrittenOnlyOutsideTheTargetAndNeverOverAForeignFile() throws {
        let folder = try RestoreTestFolder()
        let target = folder.path + "/data"
        let settings = try settings(folder, environment: [:])
        let inside = RecoveryConfigFile(path: target + "/tailtown.conf", settings: settings, workingDirectory: "/")
        #expect(throws: RestoreError.recoveryConfigInsideTarget(path: inside.path, target: target)) { try inside.check(target: target) }
        let foreign = folder.path + "/production.conf"
        try Data("TAILTOWN_REPO=file:///prod\n".utf8).write(to: URL(fileURLWithPath: foreign))
        let overwriting = RecoveryConfigFile(path: foreign, settings: settings, workingDirectory: "/")
        #expect(throws: RestoreError.recoveryConfigExists(path: foreign)) { try overwriting.check(target: target) }

        // One that restore wrote earlier is replaced, mode 0600.
        let ours = RecoveryConfigFile(path: folder.path + "/data.tailtown-pitr.conf", settings: settings, workingDirectory: "/")
        try ours.write(target: target, owner: try FileOwner(name: "root"))
        try ours.check(target: target)
        try ours.write(target: target, owner: try FileOwner(name: "root"))
        #expect(try folder.mode("data.tailtown-pitr.conf") == 0o600)
        #expect(try folder.contents("data.tailtown-pitr.conf").hasPrefix("# Written by tailtown-pitr restore"))
    }

    @Test func refusesAValueWithALineBreak() throws {
        let folder = try RestoreTestFolder()
        let settings = try settings(folder, environment: ["AWS_REGION": "eu\nwest"])
        let config = RecoveryConfigFile(path: folder.path + "/x.conf", settings: settings, workingDirectory: "/")
        #expect(throws: RestoreError.unrepresentableSetting(name: "AWS_REGION", reason: "its value holds a line break")) {
            _ = try config.text(target: folder.path + "/data")
        }
    }
}

extension RecoveryConfigFileTests {
    /// A symlink at the file's name is neither read (it reads as a file restore did not write) nor written through;
    /// a folder reached through a symlink another user could change is refused before anything is downloaded.
    @Test(.enabled(if: getuid() == 0 && getpwnam("postgres") != nil, "needs root and a postgres account"))
    func neverGoesThroughASymlinkTheOwnerPlanted() throws {
        let folder = try RestoreTestFolder()
        let settings = try settings(folder, environment: [:])
        let secret = folder.path + "/secret"
        try Data("# Written by tailtown-pitr restore, and root's only\n".utf8).write(to: URL(fileURLWithPath: secret))
        let owned = folder.path + "/owned"
        try FileManager.default.createDirectory(atPath: owned, withIntermediateDirectories: false)
        let postgres = try FileOwner(name: "postgres")
        chown(owned, postgres.uid, postgres.gid)
        try FileManager.default.createSymbolicLink(atPath: owned + "/data.tailtown-pitr.conf", withDestinationPath: secret)
        let planted = RecoveryConfigFile(path: owned + "/data.tailtown-pitr.conf", settings: settings, workingDirectory: "/")
        #expect(throws: RestoreError.recoveryConfigExists(path: planted.path)) { try planted.check(target: owned + "/data") }
        try planted.write(target: owned + "/data", owner: postgres)
        #expect(try folder.contents("secret") == "# Written by tailtown-pitr restore, and root's only\n")
        #expect(try folder.contents("owned/data.tailtown-pitr.conf").contains("TAILTOWN_REPO=\"file:///srv/repo\""))

        try FileManager.default.createSymbolicLink(atPath: owned + "/elsewhere", withDestinationPath: folder.path)
        lchown(owned + "/elsewhere", postgres.uid, postgres.gid)
        let through = RecoveryConfigFile(path: owned + "/elsewhere/x.conf", settings: settings, workingDirectory: "/")
        #expect(throws: DirectoryError.untrustedSymlink(path: owned + "/elsewhere")) { try through.check(target: owned + "/data") }
    }
}
