import Foundation
import Testing
@testable import PITRRepository

/// One tailtown-pitr set-up in a sandbox: a `file://` repository, a config file and, when encrypted, a key from `keygen`.
struct Tailtown {
    let sandbox: Sandbox
    let configFile: String
    let repository: Repository

    /// Creates the repository folder (empty, postgres, 0700), the key (through `tailtown-pitr keygen`) and the config file.
    static func configure(in sandbox: Sandbox, compression: String, encrypted: Bool) throws -> Tailtown {
        let repository = Repository(root: try sandbox.makeDirectory("repo"))
        var lines = [
            "# tailtown-pitr settings for one integration test",
            "TAILTOWN_REPO=\(repository.url)",
            "TAILTOWN_COMPRESSION=\(compression)",
            "TAILTOWN_CACHE_DIR=\(sandbox.cacheFolder)",
        ]
        if encrypted {
            let key = sandbox.path("tailtown.key")
            try sandbox.tailtown(["keygen", key]).check()
            lines.append("TAILTOWN_ENCRYPTION_KEY_FILE=\(key)")
        }
        let config = try sandbox.writeFile("tailtown-pitr.conf", lines.joined(separator: "\n") + "\n")
        return Tailtown(sandbox: sandbox, configFile: config, repository: repository)
    }

    /// The same repository with `settings` ("NAME=value") added to this config, in a new config file `name` of the
    /// sandbox (or this one, given its name); later lines win.
    func adding(_ settings: [String], as name: String) throws -> Tailtown {
        let base = try String(contentsOfFile: configFile, encoding: .utf8)
        let config = try sandbox.writeFile(name, base + settings.map { $0 + "\n" }.joined())
        return Tailtown(sandbox: sandbox, configFile: config, repository: repository)
    }

    /// What PostgreSQL runs as archive_command.
    var archiveCommand: String { "\(sandbox.binary) --config \(configFile) wal-push %p" }
    /// What PostgreSQL runs as restore_command.
    var restoreCommand: String { "\(sandbox.binary) --config \(configFile) wal-fetch %f %p" }

    /// `tailtown-pitr --config <file> wal-push <path>` as postgres, in `directory` (as the archiver does).
    func push(_ path: String, in directory: String) throws -> CommandResult {
        try sandbox.tailtown(["--config", configFile, "wal-push", path], in: directory)
    }

    /// `tailtown-pitr --config <file> wal-fetch <name> <dest>` as postgres, in `directory` (as the startup process does).
    func fetch(_ name: String, to destination: String, in directory: String) throws -> CommandResult {
        try sandbox.tailtown(["--config", configFile, "wal-fetch", name, destination], in: directory)
    }
}

/// The `file://` repository layout of the CLI contract:
/// `<root>/tailtown-pitr.repo`, `<root>/wal/<pgmajor>-<system identifier>/<first 16 hex of name>/<name>`.
struct Repository {
    let root: String

    var url: String { "file://" + root }
    var marker: String { root + "/tailtown-pitr.repo" }

    func archiveDirectory(systemIdentifier: String, major: Int = PostgreSQL.defaultMajor) -> String {
        "\(root)/wal/\(major)-\(systemIdentifier)"
    }

    func segmentObject(_ name: String, systemIdentifier: String, major: Int = PostgreSQL.defaultMajor) -> String {
        "\(archiveDirectory(systemIdentifier: systemIdentifier, major: major))/\(name.prefix(16))/\(name)"
    }

    /// Every segment object of the archive (24-hex-digit names), in order; records an issue for any segment
    /// stored in a folder other than the first 16 hex digits of its name.
    func segments(systemIdentifier: String, segmentSizeMB: Int, major: Int = PostgreSQL.defaultMajor) throws -> [WALSegment] {
        let archive = archiveDirectory(systemIdentifier: systemIdentifier, major: major)
        var found: [WALSegment] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: archive) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: archive + "/" + folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for name in try FileManager.default.contentsOfDirectory(atPath: archive + "/" + folder) {
                guard let segment = WALSegment(name, segmentSizeMB: segmentSizeMB) else { continue }
                #expect(name.hasPrefix(folder), "segment \(name) is stored under \(folder)/, not \(name.prefix(16))/")
                found.append(segment)
            }
        }
        return found.sorted()
    }

    /// Paths in the repository whose mode is not 0600 (files) or 0700 (folders), with their modes.
    func permissionViolations() throws -> [String] {
        var violations: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: root) else { return ["cannot list \(root)"] }
        while let relative = walker.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            let mode = ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
            let wanted = (attributes[.type] as? FileAttributeType) == .typeDirectory ? 0o700 : 0o600
            if mode != wanted { violations.append("\(relative) has mode \(String(mode, radix: 8)), wanted \(String(wanted, radix: 8))") }
        }
        return violations
    }
}
