import Foundation
import Testing

extension PostgreSQLIntegration {
    /// The built binary, as postgres, never prints a key that sits where it should not: not `config`, and not
    /// wal-push or wal-fetch, whose stderr goes to PostgreSQL's server log. And it refuses an inline secret in a
    /// config file others could read. No cluster is needed: each command stops at its settings.
    @Suite struct ConfigCommandTests {
        /// Two keys of both shapes: one whose base64 holds `+` or `/`, one of letters and digits only.
        static let keys: [String] = [
            Data((0..<32).map { UInt8(($0 * 37 + 251) & 0xFF) }).base64EncodedString(),
            Data((0..<32).map { UInt8(($0 * 11 + 64) & 0x3F) * 3 }).base64EncodedString(),
        ]

        /// Any 10 consecutive characters of `secret` in `text`.
        static func leaks(_ secret: String, in text: String) -> Bool {
            let characters = Array(secret)
            return (0...(characters.count - 10)).contains { text.contains(String(characters[$0..<$0 + 10])) }
        }

        /// `config`, `wal-push` and `wal-fetch` with `configFile`; each must fail, and none may print any part of `key`.
        static func commands(with configFile: String, in sandbox: Sandbox) throws -> [CommandResult] {
            let wal = try sandbox.makeDirectory("data/pg_wal")
            let segment = try sandbox.writeFile("data/pg_wal/000000010000000000000001", "not read")
            return [
                try sandbox.tailtown(["--config", configFile, "config"]),
                try sandbox.tailtown(["--config", configFile, "wal-push", segment], in: wal + "/.."),
                try sandbox.tailtown(["--config", configFile, "wal-fetch", "000000010000000000000002", wal + "/RECOVERYXLOG"],
                                     in: wal + "/.."),
            ]
        }

        @Test(arguments: keys)
        func aKeyOnAConfigLineOrAKeyFileAsTheConfigIsNeverPrinted(_ key: String) throws {
            let sandbox = try Sandbox()
            #expect(Self.keys.contains { $0.prefix { $0 != "=" }.allSatisfy { $0.isLetter || $0.isNumber } })
            let repository = try sandbox.makeDirectory("repo")
            let keyFile = try sandbox.writeFile("tailtown.key", key + "\n")
            let pasted = try sandbox.writeFile("pasted.conf", "TAILTOWN_REPO=file://\(repository)\n\(key)\nTAILTOWN_COMPRESSION=lz4\n")
            for (config, line) in [(pasted, 2), (keyFile, 1)] {
                for result in try Self.commands(with: config, in: sandbox) {
                    #expect(result.status != 0, "\(result.command)")
                    #expect(!Self.leaks(key, in: result.stdout + result.stderr), "\(result.command): \(result.stdout)\(result.stderr)")
                    #expect(result.stderr.contains("line \(line) of \(config) looks like an encryption key"), "\(result.command): \(result.stderr)")
                }
            }
        }

        @Test(arguments: keys)
        func aKeyInAPathSettingIsNeverPrinted(_ key: String) throws {
            let sandbox = try Sandbox()
            let repository = try sandbox.makeDirectory("repo")
            let config = try sandbox.writeFile("t.conf", "TAILTOWN_REPO=file://\(repository)\nTAILTOWN_ENCRYPTION_KEY_FILE=\(key)\n")
            for result in try Self.commands(with: config, in: sandbox) {
                #expect(result.status != 0, "\(result.command)")
                #expect(!Self.leaks(key, in: result.stdout + result.stderr), "\(result.command): \(result.stdout)\(result.stderr)")
            }
        }

        @Test func anInlineSecretNeedsAPrivateConfigFile() throws {
            let sandbox = try Sandbox()
            let repository = try sandbox.makeDirectory("repo")
            let key = Self.keys[0]
            let text = "TAILTOWN_REPO=file://\(repository)\nTAILTOWN_ENCRYPTION_KEY=\(key)\n"
            for mode: mode_t in [0o640, 0o604, 0o660] {
                let config = try sandbox.writeFile("open.conf", text, mode: mode)
                let octal = "0" + String(mode, radix: 8)
                for result in try Self.commands(with: config, in: sandbox) {
                    #expect(result.status != 0, "\(result.command)")
                    // One line says it all (a debug build's loader may add warnings of its own).
                    let errors = result.stderr.split(separator: "\n").filter { $0.contains("error") }
                    #expect(errors.count == 1, "\(result.command): \(result.stderr)")
                    #expect(errors.first?.contains("config file '\(config)' holds TAILTOWN_ENCRYPTION_KEY, a secret, but has mode \(octal)") == true,
                            "\(result.command): \(result.stderr)")
                    #expect(errors.first?.hasSuffix("run chmod 600 '\(config)'") == true)
                    #expect(!Self.leaks(key, in: result.stdout + result.stderr))
                }
            }
            let config = try sandbox.writeFile("private.conf", text, mode: 0o600)
            let shown = try sandbox.tailtown(["--config", config, "config"])
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("TAILTOWN_ENCRYPTION_KEY                 ********  (file \(config) line 2)"), "\(shown.stdout)")
            #expect(shown.stdout.contains(": objects and backup descriptors are authenticated"), "\(shown.stdout)")
            #expect(!Self.leaks(key, in: shown.stdout + shown.stderr))
        }

        /// Without a key nothing can be authenticated; `config` says what such a repository gets instead.
        @Test func aRepositoryWithoutAKeyIsToldWhatItGets() throws {
            let sandbox = try Sandbox()
            let config = try sandbox.writeFile("plain.conf", "TAILTOWN_REPO=file://\(try sandbox.makeDirectory("repo"))\n", mode: 0o644)
            let shown = try sandbox.tailtown(["--config", config, "config"])
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("encryption: none: objects carry digests that catch accidental damage"), "\(shown.stdout)")
            #expect(shown.stdout.contains("anyone who can write to the repository can change what restore uses"), "\(shown.stdout)")
        }
    }
}
