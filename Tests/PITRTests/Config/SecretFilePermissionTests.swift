import Testing
@testable import PITRConfig
@testable import PITRSupport

/// A config file that holds a secret setting is checked as strictly as a key file, by the same code
/// (`SecretFile`): only its owner may read or change it, and its owner is the user running the command or root.
@Suite struct SecretFilePermissionTests {
    static let key = Base64.encode((0..<32).map { UInt8($0 * 5 + 1) })

    /// A value for each secret setting, as a config file line.
    static let secretLines: [String] = SettingDefinition.all.filter(\.isSecret).map { definition in
        definition.name + "=" + (definition.name == SettingDefinition.encryptionKey.name ? key
            : definition.name == SettingDefinition.notifyURL.name ? "https://hooks.example.com/services/T0/B0/secret" : "s3cr3tValue")
    }

    @Test func everySecretSettingIsCovered() {
        let names = Set(Self.secretLines.map { String($0.prefix { $0 != "=" }) })
        #expect(names.isSuperset(of: ["TAILTOWN_ENCRYPTION_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TAILTOWN_NOTIFY_URL"]))
    }

    @Test(arguments: [0o640, 0o604, 0o620, 0o602, 0o644, 0o660, 0o666, 0o650])
    func aConfigFileWithASecretOpenToOthersIsRefused(_ mode: Int) throws {
        let folder = ConfigTestFolder()
        for line in Self.secretLines {
            let name = String(line.prefix { $0 != "=" })
            let path = try folder.write("t.conf", "TAILTOWN_REPO=file:///srv/pitr\n\(line)\n", mode: mode_t(mode))
            let error = configError { try Settings.load(flags: ["TAILTOWN_CONFIG": path], environment: [:], defaultFile: folder.absentDefault) }
            let octal = "0" + String(mode, radix: 8)
            let problem: FileAccessProblem = mode & 0o006 != 0 ? .openToOthers(mode: UInt32(mode)) : .openToGroup(mode: UInt32(mode))
            #expect(error == .configFileAccess(path: path, secret: name, problem: problem), "\(line) \(octal)")
            let description = try #require(error?.description)
            #expect(description.hasPrefix("config file '\(path)' holds \(name), a secret, but has mode \(octal), which lets "))
            #expect(description.hasSuffix("run chmod 600 '\(path)'"))
            #expect(!description.contains(String(line.dropFirst(name.count + 1))))
        }
    }

    @Test func aPrivateConfigFileWithASecretIsRead() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("t.conf", Self.secretLines.joined(separator: "\n") + "\n", mode: 0o600)
        let settings = try Settings.load(flags: ["TAILTOWN_CONFIG": path], environment: [:], defaultFile: folder.absentDefault)
        #expect(try settings.keyring()?.active.bytes == Base64.decode(Self.key))
        let readOnly = try folder.write("r.conf", "TAILTOWN_ENCRYPTION_KEY=\(Self.key)\n", mode: 0o400)
        #expect(try Settings.load(flags: ["TAILTOWN_CONFIG": readOnly], environment: [:], defaultFile: folder.absentDefault)
            .keyring() != nil)
    }

    /// Permissions matter only for files that hold a secret: a shared file of plain settings may stay 0644.
    @Test func aConfigFileWithoutASecretMayBeReadable() throws {
        let folder = ConfigTestFolder()
        let plain = try folder.write("plain.conf", "TAILTOWN_REPO=file:///srv/pitr\nTAILTOWN_ENCRYPTION_KEY_FILE=/etc/k\nTAILTOWN_ENCRYPTION_KEY=\n", mode: 0o644)
        #expect(try Settings.load(flags: ["TAILTOWN_CONFIG": plain], environment: [:], defaultFile: folder.absentDefault).repository()
            == .file(path: "/srv/pitr"))
    }

    @Test func theDefaultFileIsCheckedToo() throws {
        let folder = ConfigTestFolder()
        let fallback = try folder.write("default.conf", "TAILTOWN_ENCRYPTION_KEY=\(Self.key)\n", mode: 0o644)
        #expect(configError { try Settings.load(flags: [:], environment: [:], defaultFile: fallback) }
            == .configFileAccess(path: fallback, secret: "TAILTOWN_ENCRYPTION_KEY", problem: .openToOthers(mode: 0o644)))
    }

    /// Run as root (the test machine's user): a file of another user is refused, root's own is read.
    @Test func aConfigFileWithASecretOwnedByAnotherUserIsRefused() throws {
        try #require(geteuid() == 0, "chown needs root")
        let folder = ConfigTestFolder()
        let path = try folder.write("t.conf", "TAILTOWN_ENCRYPTION_KEY=\(Self.key)\n", mode: 0o600)
        #expect(try Settings.load(flags: ["TAILTOWN_CONFIG": path], environment: [:], defaultFile: folder.absentDefault).keyring() != nil)
        #expect(chown(path, 65534, 65534) == 0)
        let error = configError { try Settings.load(flags: ["TAILTOWN_CONFIG": path], environment: [:], defaultFile: folder.absentDefault) }
        #expect(error == .configFileAccess(path: path, secret: "TAILTOWN_ENCRYPTION_KEY", problem: .foreignOwner(owner: 65534, user: 0, mode: 0o600)))
        #expect(error?.description == "config file '\(path)' holds TAILTOWN_ENCRYPTION_KEY, a secret, but is owned by uid 65534, not by root (uid 0) "
            + "(mode 0600): run chown 0 '\(path)' and chmod 600 '\(path)'")
    }

    /// Key files keep their documented rule (the group may read, for a root-owned key given to the postgres group),
    /// and, like config files, may not be changed by anyone but their owner.
    @Test(arguments: [(0o600, nil), (0o400, nil), (0o640, nil), (0o644, FileAccessProblem.openToOthers(mode: 0o644)),
                      (0o602, .openToOthers(mode: 0o602)), (0o660, .openToGroup(mode: 0o660)), (0o620, .openToGroup(mode: 0o620))])
    func keyFilesShareTheCheck(_ mode: Int, _ problem: FileAccessProblem?) throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("k", Self.key + "\n", mode: mode_t(mode))
        let error = configError { try KeyFile.read(at: path) }
        #expect(error == problem.map { .keyFile(path: path, problem: .access($0)) })
    }

    @Test func aFileThatIsNotRegularIsRefused() {
        #expect(SecretFile(bytes: [], mode: S_IFIFO | 0o600, owner: geteuid(), group: getegid()).problem(under: .configFile) == .notRegularFile)
        #expect(SecretFile(bytes: [], mode: S_IFREG | 0o600, owner: geteuid(), group: getegid()).problem(under: .configFile) == nil)
    }
}
