import Testing
@testable import PITRConfig
@testable import PITRSupport

@Suite struct KeyFileTests {
    static let keyBytes = (0..<32).map { UInt8($0 * 7 + 3) }
    static let keyText = Base64.encode(keyBytes)

    @Test func readsAKeyTrimmingWhitespace() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("key", "  \(Self.keyText)\n\n", mode: 0o600)
        #expect(try KeyFile.read(at: path).active.bytes == Self.keyBytes)
        let groupReadable = try folder.write("group-key", Self.keyText + "\n", mode: 0o640)
        #expect(try KeyFile.read(at: groupReadable).active.bytes == Self.keyBytes)
    }

    @Test func refusesAKeyFileReadableByOthers() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("key", Self.keyText, mode: 0o644)
        let error = configError { try KeyFile.read(at: path) }
        #expect(error == .keyFile(path: path, problem: .access(.openToOthers(mode: 0o644))))
        #expect(error?.description == "encryption key file '\(path)' has mode 0644, which lets other users read or change it: run chmod 600 '\(path)'")
    }

    @Test func problemsNameTheFileAndNeverTheKey() throws {
        let folder = ConfigTestFolder()
        let short = Base64.encode(Array(Self.keyBytes[..<16]))
        let cases: [(String, String, KeyFileProblem)] = [
            ("bad", Self.keyText.replacingFirst("A", with: "*"), .notBase64),
            ("inner-space", String(Self.keyText.prefix(20)) + " " + String(Self.keyText.dropFirst(20)), .notBase64),
            ("empty", "\n", .noKey),
            ("comments", "# keys\n\n  # none yet\n", .noKey),
            ("short", short, .wrongLength(16)),
            ("long", Base64.encode(Self.keyBytes + [1]), .wrongLength(33)),
            ("huge", String(repeating: "A", count: KeyFile.maximumSize + 4), .tooLarge),
        ]
        for (name, content, problem) in cases {
            let path = try folder.write(name, content)
            let error = configError { try KeyFile.read(at: path) }
            #expect(error == .keyFile(path: path, problem: problem), "\(name)")
            #expect(error?.description.contains(path) == true)
            #expect(error?.description.contains(Self.keyText) == false)
            #expect(error?.description.contains(short) == false)
        }
        let missing = folder.path + "/missing"
        #expect(configError { try KeyFile.read(at: missing) } == .keyFile(path: missing, problem: .unreadable(reason: "No such file or directory")))
        #expect(configError { try KeyFile.read(at: folder.path) } == .keyFile(path: folder.path, problem: .access(.notRegularFile)))
    }

    @Test func generatesAPrivateFileOfOneRandomActiveKey() throws {
        let folder = ConfigTestFolder()
        let path = folder.path + "/new.key"
        let previous = umask(0o022)
        defer { umask(previous) }
        let id = try KeyFile.generate(at: path)
        #expect(folder.mode(of: "new.key") == 0o600)
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(text.hasSuffix("\n") && lines.count == 2 && lines[0].hasPrefix("# "))
        let fields = lines[1].split(separator: " ")
        #expect(fields.count == 3 && fields[0] == "active" && fields[1] == id && fields[2].hasPrefix("base64:"))
        #expect(Base64.decode(String(fields[2].dropFirst(7)))?.count == 32)
        let keyring = try KeyFile.read(at: path)
        #expect(keyring.count == 1 && keyring.active.keyIDHex == id)
        try KeyFile.generate(at: folder.path + "/other.key")
        #expect(try KeyFile.read(at: folder.path + "/other.key").active.bytes != keyring.active.bytes)
    }

    @Test func generateRefusesToOverwrite() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("existing.key", "keep me")
        let error = configError { try KeyFile.generate(at: path) }
        #expect(error == .keyFileExists(path: path))
        #expect(error?.description.contains(path) == true)
        #expect(try FileSystem.readFile(path) == Array("keep me".utf8))
    }
}

@Suite struct EncryptionKeySettingTests {
    static let keyBytes = (0..<32).map { UInt8(255 - $0) }
    static let keyText = Base64.encode(keyBytes)

    func settings(_ environment: [String: String], defaultFile: String = "/nonexistent/tailtown-test.conf") throws -> Settings {
        try Settings.load(flags: [:], environment: environment, defaultFile: defaultFile)
    }

    @Test func fromAKeyFileOrInline() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("key", Self.keyText + "\n")
        #expect(try settings(["TAILTOWN_ENCRYPTION_KEY_FILE": path]).keyring()?.active.bytes == Self.keyBytes)
        #expect(try settings(["TAILTOWN_ENCRYPTION_KEY": Self.keyText]).keyring()?.active.bytes == Self.keyBytes)
    }

    @Test func bothSetIsAnErrorEvenFromDifferentLayers() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("key", Self.keyText)
        let fallback = try folder.write("default.conf", "TAILTOWN_ENCRYPTION_KEY=\(Self.keyText)\n")
        let error = configError { try settings(["TAILTOWN_ENCRYPTION_KEY_FILE": path], defaultFile: fallback).keyring() }
        #expect(error?.description
            == "TAILTOWN_ENCRYPTION_KEY_FILE (from environment) and TAILTOWN_ENCRYPTION_KEY (from \(fallback) line 1) are both set: keep only one")
    }

    @Test func keyFileErrorsNameTheSettingOriginAndFile() throws {
        let folder = ConfigTestFolder()
        let path = try folder.write("key", Self.keyText, mode: 0o604)
        let error = configError { try settings(["TAILTOWN_ENCRYPTION_KEY_FILE": path]).keyring() }
        #expect(error?.description
            == "TAILTOWN_ENCRYPTION_KEY_FILE='\(path)' (from environment): the key file has mode 0604, which lets other users read or change it: run chmod 600 '\(path)'")
        let missing = configError { try settings(["TAILTOWN_ENCRYPTION_KEY_FILE": "/nonexistent/k"]).keyring() }
        #expect(missing?.description
            == "TAILTOWN_ENCRYPTION_KEY_FILE='/nonexistent/k' (from environment): the key file cannot be read: No such file or directory")
    }

    @Test func aBadInlineKeyIsNeverEchoed() throws {
        let folder = ConfigTestFolder()
        let short = Base64.encode(Array(Self.keyBytes[..<31]))
        let fallback = try folder.write("default.conf", "TAILTOWN_ENCRYPTION_KEY='\(short)'\n")
        let error = configError { try settings([:], defaultFile: fallback).keyring() }
        #expect(error?.description
            == "TAILTOWN_ENCRYPTION_KEY (from \(fallback) line 1) decodes to 31 bytes, not 32: expected the base64 of 32 random bytes")
        let notBase64 = "secret-not-base64!"
        let other = configError { try settings(["TAILTOWN_ENCRYPTION_KEY": notBase64]).keyring() }
        #expect(other?.description.hasPrefix("TAILTOWN_ENCRYPTION_KEY (from environment) is not valid base64") == true)
        #expect(other?.description.contains(notBase64) == false)
    }

    @Test func theReportMasksTheInlineKey() throws {
        let report = try settings(["TAILTOWN_ENCRYPTION_KEY": Self.keyText]).report()
        #expect(report.contains("TAILTOWN_ENCRYPTION_KEY                     ********  (environment)"))
        #expect(!report.joined().contains(Self.keyText))
        #expect(!report.joined().contains(String(Self.keyText.prefix(8))))
    }
}

extension String {
    fileprivate func replacingFirst(_ target: Character, with replacement: Character) -> String {
        guard let index = firstIndex(of: target) else { return self + String(replacement) }
        var copy = self
        copy.replaceSubrange(index...index, with: String(replacement))
        return copy
    }
}
