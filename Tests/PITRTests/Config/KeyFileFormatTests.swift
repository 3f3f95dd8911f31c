import Testing
@testable import PITRConfig
@testable import PITRPipeline
@testable import PITRSupport

/// The key file's lines (docs/format.md, "Key file"), read from real files.
@Suite struct KeyFileFormatTests {
    static let keys = (1...3).map { seed in MasterKey(bytes: (0..<32).map { UInt8(($0 * 29 + seed * 71) & 0xFF) })! }

    static func line(_ status: String, _ key: MasterKey, id: String? = nil) -> String {
        "\(status) \(id ?? key.keyIDHex) base64:\(Base64.encode(key.bytes))"
    }

    /// The error reading `text` as a key file gives, checked to name the file and to show no key.
    static func problem(_ text: String, _ folder: ConfigTestFolder) throws -> KeyFileProblem? {
        let path = try folder.write("keys", text)
        guard case .keyFile(let shown, let problem)? = configError({ try KeyFile.read(at: path) }) else { return nil }
        let description = ConfigError.keyFile(path: path, problem: problem).description
        #expect(shown == path && description.contains(path))
        for key in keys {
            #expect(!SecretExposureTests.leaks(Base64.encode(key.bytes), in: description), "\(description)")
        }
        return problem
    }

    @Test func severalKeysWithCommentsBlankLinesAndTheirStatuses() throws {
        let folder = ConfigTestFolder()
        let (a, b, c) = (Self.keys[0], Self.keys[1], Self.keys[2])
        let text = "# tailtown-pitr keys\n\n" + Self.line("retired", a) + "\r\n  # rotated 2026\n"
            + String(Self.line("active", b).map { $0 == " " ? "\t" : $0 }) + "\n" + Self.line("pending", c, id: c.keyIDHex.uppercased()) + "\n"
        let keyring = try KeyFile.read(at: try folder.write("keys", text))
        #expect(keyring.entries.map(\.status) == [.retired, .active, .pending])
        #expect(keyring.idsHex == [a, b, c].map(\.keyIDHex))
        #expect(keyring.active.bytes == b.bytes)
        for key in [a, b, c] { #expect(keyring.key(id: key.keyID)?.bytes == key.bytes) }
        #expect(keyring.key(id: Array(repeating: 7, count: 8)) == nil)
    }

    @Test func theOlderFormIsOneActiveKey() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("keys", "# made by hand\n\n  \(Base64.encode(Self.keys[0].bytes))\n\n")
        let keyring = try KeyFile.read(at: path)
        #expect(keyring.count == 1 && keyring.entries[0].status == .active && keyring.active.bytes == Self.keys[0].bytes)
        // A rewrite turns it into the newer form and keeps its comment.
        let pending = try KeyFile.rotate(at: path)
        let lines = String(decoding: try FileSystem.readFile(path), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(Array(lines.prefix(4)) == [Substring(KeyFileText.heading), "# made by hand", "", Substring(Self.line("active", Self.keys[0]))])
        #expect(lines.count == 7 && lines[4] == "" && lines[5].hasPrefix("pending \(pending) base64:") && lines[6] == "")
    }

    @Test func eachLineProblemNamesTheLineAndNeverTheKey() throws {
        let folder = ConfigTestFolder()
        let (a, b) = (Self.keys[0], Self.keys[1])
        let material = "base64:" + Base64.encode(a.bytes)
        let cases: [(String, KeyFileProblem)] = [
            ("# keys\n" + Self.line("active", a, id: "1a2b3c4d5e6f708") + "\n", .line(2, .badKeyID)),
            (Self.line("active", a, id: "1a2b3c4d5e6f708g") + "\n", .line(1, .badKeyID)),
            (Self.line("active", a, id: b.keyIDHex) + "\n", .line(1, .idMismatch(stated: b.keyIDHex, actual: a.keyIDHex))),
            (Self.line("active", a) + "\n" + Self.line("pending", b) + "\n" + Self.line("active", Self.keys[2]) + "\n", .severalActiveKeys(lines: [1, 3])),
            (Self.line("retired", a) + "\n" + Self.line("pending", b) + "\n", .noActiveKey),
            (Self.line("active", a) + "\n" + Self.line("retired", a) + "\n", .line(2, .duplicateID(id: a.keyIDHex, firstLine: 1))),
            ("active \(a.keyIDHex) sealed:\(Base64.encode(a.bytes))\n", .line(1, .unknownMaterial(prefix: "sealed"))),
            ("active \(a.keyIDHex) wrapped:\(Base64.encode(a.bytes))\n", .line(1, .badWrapping("has a wrapping that is not base64"))),
            ("active \(a.keyIDHex) \(Base64.encode(a.bytes))\n", .line(1, .unknownMaterial(prefix: nil))),
            ("active \(a.keyIDHex) \(Base64.encode(a.bytes).prefix(20)):x\n", .line(1, .unknownMaterial(prefix: nil))),
            ("active \(a.keyIDHex) base64:\(Base64.encode(Array(a.bytes[..<31])))\n", .line(1, .wrongLength(31))),
            ("active \(a.keyIDHex) base64:\(Base64.encode(a.bytes).dropLast(2))\n", .line(1, .notBase64)),
            ("Active \(a.keyIDHex) \(material)\n" + Self.line("pending", b) + "\n", .line(1, .unknownStatus)),
            ("active \(a.keyIDHex)\n", .line(1, .malformed)),
            (Self.line("retired", b) + "\n\(Base64.encode(a.bytes))\n", .line(2, .malformed)),
            ("active \(a.keyIDHex) \(material) \(material)\n", .line(1, .malformed)),
        ]
        for (text, expected) in cases {
            #expect(try Self.problem(text, folder) == expected, "\(text.debugDescription)")
        }
    }

    @Test func messagesSayWhatIsWrong() {
        let path = "/etc/tailtown-pitr.key"
        let description = { (problem: KeyFileProblem) in ConfigError.keyFile(path: path, problem: problem).description }
        #expect(description(.line(3, .idMismatch(stated: "1a2b3c4d5e6f7081", actual: "0f10b0f320559899")))
            == "encryption key file '\(path)' is wrong on line 3: the line names key id 1a2b3c4d5e6f7081 but its key's id is 0f10b0f320559899: "
            + "the id or the key was changed; restore the file from its copy")
        #expect(description(.line(2, .unknownMaterial(prefix: "sealed")))
            == "encryption key file '\(path)' is wrong on line 2: the key material has the unknown form 'sealed:': expected base64: and the base64 of 32 bytes, or wrapped:")
        #expect(description(.line(2, .badWrapping("names the kms wrapping twice")))
            == "encryption key file '\(path)' is wrong on line 2: the key material after wrapped: names the kms wrapping twice")
        #expect(description(.severalActiveKeys(lines: [1, 4])).hasSuffix("has 2 active keys (lines 1, 4): exactly one key encrypts; make the others 'retired'"))
    }

    @Test func theSettingReadsEveryKeyAndTheInlineKeyIsOneActiveKey() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("keys", Self.line("active", Self.keys[0]) + "\n" + Self.line("pending", Self.keys[1]) + "\n")
        let fromFile = try Settings.load(flags: [:], environment: ["TAILTOWN_ENCRYPTION_KEY_FILE": path], defaultFile: folder.absentDefault).keyring()
        #expect(fromFile?.count == 2 && fromFile?.active.bytes == Self.keys[0].bytes)
        let inline = try Settings.load(flags: [:], environment: ["TAILTOWN_ENCRYPTION_KEY": Base64.encode(Self.keys[1].bytes)],
                                       defaultFile: folder.absentDefault).keyring()
        #expect(inline?.count == 1 && inline?.entries[0].status == .active && inline?.active.bytes == Self.keys[1].bytes)
        let bad = try folder.write("bad", Self.line("active", Self.keys[0], id: Self.keys[1].keyIDHex) + "\n")
        let error = configError { try Settings.load(flags: [:], environment: ["TAILTOWN_ENCRYPTION_KEY_FILE": bad], defaultFile: folder.absentDefault).keyring() }
        #expect(error?.description.hasPrefix("TAILTOWN_ENCRYPTION_KEY_FILE='\(bad)' (from environment): the key file is wrong on line 1: the line names key id") == true)
    }

    /// A key file of several keys given as the config file: refused, and no key is shown.
    @Test func aKeyFileOfSeveralKeysGivenAsTheConfigFile() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("keys", KeyFileText.heading + "\n" + Self.line("retired", Self.keys[0]) + "\n" + Self.line("active", Self.keys[1]) + "\n")
        let error = configError { try Settings.load(flags: ["TAILTOWN_CONFIG": path], environment: [:], defaultFile: folder.absentDefault) }
        let description = try #require(error?.description)
        #expect(description.hasPrefix("line 2 of \(path)"))
        for key in Self.keys { #expect(!SecretExposureTests.leaks(Base64.encode(key.bytes), in: description)) }
    }
}
