import PITRConfig
import PITRSupport

/// The config file restore_command reads (`wal-fetch --config FILE`): the settings restore itself
/// was given (flags, environment, config files), so the copy fetches WAL from the same repository
/// with the same key. Mode 0600, owned by the data directory's owner, and outside the data
/// directory: a base backup of the restored cluster must never carry a secret.
public struct RecoveryConfigFile: Equatable, Sendable {
    static let header = "# Written by tailtown-pitr restore"
    /// Settings holding a path, made absolute: restore_command runs in the data directory.
    static let pathSettings: Set<String> = [
        SettingDefinition.encryptionKeyFile.name, SettingDefinition.awsSharedCredentialsFile.name,
        SettingDefinition.awsConfigFile.name, SettingDefinition.s3CAFile.name, SettingDefinition.keyPassphraseFile.name,
    ]

    public let path: String
    public let lines: [(name: String, value: String)]

    public static func == (a: RecoveryConfigFile, b: RecoveryConfigFile) -> Bool {
        a.path == b.path && a.lines.elementsEqual(b.lines) { $0.name == $1.name && $0.value == $1.value }
    }

    /// `<parent of target>/<basename of target>.tailtown-pitr.conf`.
    public static func defaultPath(for target: String) -> String {
        FileSystem.dirname(of: target) + "/" + FileSystem.basename(of: target) + ".tailtown-pitr.conf"
    }

    /// Every setting given explicitly (defaults are wal-fetch's own), in report order.
    public init(path: String, settings: Settings, workingDirectory: String) {
        self.path = path
        lines = SettingDefinition.all.compactMap { definition in
            guard definition.name != SettingDefinition.config.name, let value = settings.values[definition.name] else { return nil }
            let text = RecoveryConfigFile.pathSettings.contains(definition.name) && !value.text.hasPrefix("/")
                ? workingDirectory + "/" + value.text : value.text
            return (definition.name, text)
        }
    }

    /// The file's text; throws for a value the file format cannot hold (a line break).
    public func text(target: String) throws -> String {
        var text = "\(RecoveryConfigFile.header) for the restore_command of \(target).\n"
            + "# It may hold secrets: keep it mode 0600, outside the data directory.\n"
        for (name, value) in lines {
            guard !value.contains("\n"), !value.contains("\r") else {
                throw RestoreError.unrepresentableSetting(name: name, reason: "its value holds a line break")
            }
            text += name + "=\"" + value.escaping(["\\": "\\\\", "\"": "\\\""]) + "\"\n"
        }
        return text
    }

    /// Refuses a path inside the target or a file that exists and is not one restore wrote. A
    /// symlink at its name is never read (it reads as a file restore did not write).
    func check(target: String) throws {
        if path == target || path.hasPrefix(target.hasSuffix("/") ? target : target + "/") {
            throw RestoreError.recoveryConfigInsideTarget(path: path, target: target)
        }
        let folder: OpenDirectory
        do {
            folder = try OpenDirectory.open(FileSystem.dirname(of: path))
        } catch let error as IOError where error.isNotFound {
            return  // made with the target's parents
        }
        let name = FileSystem.basename(of: path)
        guard folder.status(name) != nil else { return }
        var bytes: [UInt8] = []
        if let file = try? folder.openForReading(name) {
            var head = [UInt8](repeating: 0, count: RecoveryConfigFile.header.utf8.count)
            let count = (try? head.withUnsafeMutableBytes { try file.readFully(into: $0) }) ?? 0
            bytes = Array(head[..<count])
        }
        guard bytes == Array(RecoveryConfigFile.header.utf8) else { throw RestoreError.recoveryConfigExists(path: path) }
    }

    /// Writes the file (replacing one restore wrote earlier) durably, 0600, owned by `owner`, by
    /// descriptor in its folder: a symlink planted at its name is replaced, never followed.
    func write(target: String, owner: FileOwner) throws {
        let folder = try OpenDirectory.open(FileSystem.dirname(of: path))
        try folder.replaceFile(FileSystem.basename(of: path), with: Array(try self.text(target: target).utf8), mode: 0o600) { try owner.take($0) }
    }
}
