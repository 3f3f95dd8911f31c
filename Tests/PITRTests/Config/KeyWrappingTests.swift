import Foundation
import Testing
@testable import PITRConfig
@testable import PITRNative
@testable import PITRPipeline
@testable import PITRStorage
@testable import PITRSupport
import TestSupport

/// Keys wrapped by moto's KMS and by a passphrase: both ways unwrap, KMS failing falls back to the
/// passphrase, the kernel keyring serves later processes, and no message holds a key.
@Suite(.serialized) struct KeyWrappingTests {
    static let passphrase = "correct horse battery staple"

    /// Settings for moto's KMS with a new KMS key, the passphrase file in `folder`, and `extra` on top.
    static func settings(_ folder: ConfigTestFolder, kmsKey: String? = nil, _ extra: [String: String] = [:]) throws -> Settings {
        var environment = [
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AWS_REGION": "us-east-1",
            "TAILTOWN_KMS_KEY_ID": try kmsKey ?? MotoServer.createKMSKey(), "TAILTOWN_KMS_ENDPOINT": try MotoServer.endpoint(),
            "TAILTOWN_KEY_PASSPHRASE_FILE": try folder.write("passphrase", passphrase + "\n"), "TAILTOWN_KMS_CACHE_SECONDS": "0",
        ]
        environment.merge(extra) { $1 }
        return try Settings.load(flags: [:], environment: environment.filter { !$0.value.isEmpty }, defaultFile: folder.absentDefault)
    }

    static func wrapping(_ settings: Settings) -> KeyWrapping { KeyWrapping(settings: settings, home: nil, log: Log(level: .error)) }

    static func newKey() throws -> MasterKey { try #require(MasterKey(bytes: try SecureRandom.bytes(32))) }

    /// No message may hold the key, in base64 or in hex.
    static func expectNoKey(_ text: String, _ key: MasterKey) {
        #expect(!text.contains(Base64.encode(key.bytes)) && !text.contains(hex(key.bytes)))
        #expect(!text.contains(String(Base64.encode(key.bytes).prefix(12))))
    }

    @Test func wrapsBothWaysAndEachUnwraps() throws {
        let folder = ConfigTestFolder()
        let settings = try Self.settings(folder)
        let key = try Self.newKey()
        let wrapped = try Self.wrapping(settings).wrap(key)
        let kms = try #require(wrapped.kms), passphrase = try #require(wrapped.passphrase)
        #expect(passphrase.count == PassphraseWrap.size)
        #expect(!wrapped.text.contains(Base64.encode(key.bytes)))
        #expect(WrappedKey.parse(wrapped.text.dropFirst(WrappedKey.prefix.count)) == .success(wrapped))

        // KMS alone, then the passphrase alone.
        let byKMS = try Self.wrapping(settings).unwrap(WrappedKey(kms: kms), keyID: key.keyIDHex, file: "/k").get()
        #expect(byKMS.bytes == key.bytes)
        let byPassphrase = try Self.wrapping(settings).unwrap(WrappedKey(passphrase: passphrase), keyID: key.keyIDHex, file: "/k").get()
        #expect(byPassphrase.bytes == key.bytes)
    }

    @Test func kmsDownFallsBackToThePassphraseAndWithoutOneNamesWhatFailed() throws {
        let folder = ConfigTestFolder()
        let key = try Self.newKey()
        let wrapped = try Self.wrapping(try Self.settings(folder)).wrap(key)
        let down = try Self.settings(folder, kmsKey: "alias/any", ["TAILTOWN_KMS_ENDPOINT": "http://127.0.0.1:9"])
        #expect(try Self.wrapping(down).unwrap(wrapped, keyID: key.keyIDHex, file: "/etc/keys").get().bytes == key.bytes)

        let noPassphrase = try Self.settings(folder, kmsKey: "alias/any", ["TAILTOWN_KMS_ENDPOINT": "http://127.0.0.1:9", "TAILTOWN_KEY_PASSPHRASE_FILE": ""])
        let error = #expect(throws: KeyWrapping.Failure.self) { try Self.wrapping(noPassphrase).unwrap(wrapped, keyID: key.keyIDHex, file: "/etc/keys").get() }
        let text = try #require(error?.reasons.joined(separator: "; "))
        #expect(text.hasPrefix("cannot reach KMS Decrypt with key alias/any at http://127.0.0.1:9"))
        #expect(text.hasSuffix("TAILTOWN_KEY_PASSPHRASE_FILE is not set, so the passphrase wrapping was not tried"))
        Self.expectNoKey(text, key)

        let wrongPassphrase = try Self.settings(folder, kmsKey: "alias/any", [
            "TAILTOWN_KMS_ENDPOINT": "http://127.0.0.1:9", "TAILTOWN_KEY_PASSPHRASE_FILE": try folder.write("other", "another passphrase entirely"),
        ])
        let refused = #expect(throws: KeyWrapping.Failure.self) { try Self.wrapping(wrongPassphrase).unwrap(wrapped, keyID: key.keyIDHex, file: "/k").get() }
        #expect(refused?.reasons.last?.hasPrefix("the passphrase wrapping does not open with the passphrase of TAILTOWN_KEY_PASSPHRASE_FILE") == true)
    }

    @Test func kmsWithoutASecondWrappingIsRefused() throws {
        let folder = ConfigTestFolder()
        let settings = try Self.settings(folder, kmsKey: "alias/x", ["TAILTOWN_KEY_PASSPHRASE_FILE": ""])
        let error = #expect(throws: KeyWrappingError.self) { try Self.wrapping(settings).wrap(try Self.newKey()) }
        #expect(error == .secondWrappingMissing(origin: .environment))
        #expect(error?.description.hasPrefix("TAILTOWN_KMS_KEY_ID is set (from environment) but neither TAILTOWN_KEY_PASSPHRASE_FILE "
            + "nor TAILTOWN_KMS_SECOND_KEY_ID is: a key wrapped by one KMS key alone is lost") == true)
    }

    @Test func theSummaryChecksWhatKeygenNeeds() throws {
        let folder = ConfigTestFolder()
        let endpoint = try MotoServer.endpoint()
        let both = try Self.settings(folder, kmsKey: "alias/main", ["TAILTOWN_KMS_SECOND_KEY_ID": "arn:aws:kms:us-east-1:210987654321:key/x"])
        #expect(try Self.wrapping(both).summary() == "key wrapping: keygen wraps new keys with KMS key alias/main at \(endpoint) and "
            + "KMS key arn:aws:kms:us-east-1:210987654321:key/x and the passphrase of TAILTOWN_KEY_PASSPHRASE_FILE; unwrapped keys are not cached")
        let none = try Settings.load(flags: [:], environment: [:], defaultFile: folder.absentDefault)
        #expect(try Self.wrapping(none).summary() == nil)
        let alone = try Self.settings(folder, kmsKey: "alias/main", ["TAILTOWN_KEY_PASSPHRASE_FILE": ""])
        #expect(throws: KeyWrappingError.secondWrappingMissing(origin: .environment)) { try Self.wrapping(alone).summary() }
        let noCredentials = try Self.settings(folder, kmsKey: "alias/main", ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": "true"])
        let missing = #expect(throws: S3Error.self) { try Self.wrapping(noCredentials).summary() }
        #expect(missing?.description.hasPrefix("AWS_ACCESS_KEY_ID is not set") == true)
    }

    @Test func aSecondKMSKeyIsASecondWrapping() throws {
        let folder = ConfigTestFolder()
        let second = try MotoServer.createKMSKey()
        let settings = try Self.settings(folder, ["TAILTOWN_KEY_PASSPHRASE_FILE": "", "TAILTOWN_KMS_SECOND_KEY_ID": second])
        let key = try Self.newKey()
        let wrapped = try Self.wrapping(settings).wrap(key)
        #expect(wrapped.kms != nil && wrapped.kms2 != nil && wrapped.passphrase == nil)
        #expect(wrapped.text.hasPrefix("wrapped:kms=") && wrapped.text.contains(";kms2="))
        // The first account lost: its wrapping no longer opens, the second key's does.
        var lost = wrapped
        lost.kms = Array(wrapped.kms?.reversed() ?? [])
        #expect(try Self.wrapping(settings).unwrap(lost, keyID: key.keyIDHex, file: "/k").get().bytes == key.bytes)
        #expect(try Self.wrapping(settings).unwrap(WrappedKey(kms2: wrapped.kms2), keyID: key.keyIDHex, file: "/k").get().bytes == key.bytes)
    }

    @Test func aChangedBlobFailsClearly() throws {
        let folder = ConfigTestFolder()
        let settings = try Self.settings(folder)
        let key = try Self.newKey()
        var wrapped = try Self.wrapping(settings).wrap(key)
        var blob = try #require(wrapped.kms)
        blob[blob.count - 1] ^= 0x40
        wrapped.kms = blob
        wrapped.passphrase?[40] ^= 0x01
        let error = #expect(throws: KeyWrapping.Failure.self) { try Self.wrapping(settings).unwrap(wrapped, keyID: key.keyIDHex, file: "/k").get() }
        let text = try #require(error?.reasons.joined(separator: "; "))
        #expect(text.contains("InvalidCiphertextException") && text.contains("does not open with the passphrase"), "\(text)")
        Self.expectNoKey(text, key)

        // A wrapping moved to another key id opens neither way (KMS's encryption context, the passphrase's associated data).
        let other = try Self.newKey()
        let moved = try Self.wrapping(settings).wrap(key)
        #expect(throws: KeyWrapping.Failure.self) { try Self.wrapping(settings).unwrap(moved, keyID: other.keyIDHex, file: "/k").get() }
    }

    @Test func theKeyringServesTheNextProcessUntilItExpires() throws {
        let folder = ConfigTestFolder()
        let key = try Self.newKey()
        let wrapped = try Self.wrapping(try Self.settings(folder)).wrap(key)
        let description = try wrapped.cacheDescription(keyID: key.keyIDHex)
        defer { KernelKeyring.remove(description: description) }
        #expect(description.hasPrefix("tailtown-pitr:\(key.keyIDHex):"))

        let cached = try Self.settings(folder, ["TAILTOWN_KMS_CACHE_SECONDS": "2"])
        #expect(try Self.wrapping(cached).unwrap(wrapped, keyID: key.keyIDHex, file: "/k").get().bytes == key.bytes)
        #expect(try KernelKeyring.load(description: description) == key.bytes)

        // Neither KMS nor the passphrase is reachable now: only the keyring can answer.
        let cut = try Self.settings(folder, kmsKey: "alias/any", [
            "TAILTOWN_KMS_ENDPOINT": "http://127.0.0.1:9", "TAILTOWN_KEY_PASSPHRASE_FILE": "", "TAILTOWN_KMS_CACHE_SECONDS": "2",
        ])
        #expect(try Self.wrapping(cut).unwrap(wrapped, keyID: key.keyIDHex, file: "/k").get().bytes == key.bytes)
        // Other material for the same key id is not served from the cache.
        let changed = WrappedKey(kms: wrapped.kms)
        #expect(throws: KeyWrapping.Failure.self) { try Self.wrapping(cut).unwrap(changed, keyID: key.keyIDHex, file: "/k").get() }
        // A cache setting out of range is refused, not ignored.
        let wrong = try Self.settings(folder, ["TAILTOWN_KMS_CACHE_SECONDS": "1d"])
        let refused = #expect(throws: KeyWrapping.Failure.self) { try Self.wrapping(wrong).unwrap(wrapped, keyID: key.keyIDHex, file: "/k").get() }
        #expect(refused?.reasons == ["TAILTOWN_KMS_CACHE_SECONDS='1d' (from environment) is not a whole number of seconds in 0...86400"])
        // With the cache off, the keyring is not read.
        let off = try Self.settings(folder, kmsKey: "alias/any", ["TAILTOWN_KMS_ENDPOINT": "http://127.0.0.1:9", "TAILTOWN_KEY_PASSPHRASE_FILE": ""])
        #expect(throws: KeyWrapping.Failure.self) { try Self.wrapping(off).unwrap(wrapped, keyID: key.keyIDHex, file: "/k").get() }

        usleep(2_500_000)
        #expect(try KernelKeyring.load(description: description) == nil)
        #expect(throws: KeyWrapping.Failure.self) { try Self.wrapping(cut).unwrap(wrapped, keyID: key.keyIDHex, file: "/k").get() }
    }

    @Test func keygenWritesWrappedKeysOnlyAndReadsUnwrapThem() throws {
        let folder = ConfigTestFolder()
        let settings = try Self.settings(folder)
        let path = folder.path + "/keys"
        let id = try KeyFile.generate(at: path, wrapping: Self.wrapping(settings))
        let pending = try KeyFile.rotate(at: path, wrapping: Self.wrapping(settings))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines[1].hasPrefix("active \(id) wrapped:kms=") && lines[2].hasPrefix("pending \(pending) wrapped:kms="))
        #expect(lines.allSatisfy { !$0.contains("base64:") && $0.contains(";passphrase=") == $0.contains("wrapped:") })

        let reading = try Self.settings(folder, ["TAILTOWN_ENCRYPTION_KEY_FILE": path])
        let keyring = try #require(try reading.keyring(home: nil, log: Log(level: .error)))
        #expect(keyring.active.keyIDHex == id && keyring.idsHex == [id, pending])

        // KMS unreachable and no passphrase: the message names the setting, the file, the line, the key and the request.
        let cut = try Self.settings(folder, kmsKey: "alias/any", [
            "TAILTOWN_ENCRYPTION_KEY_FILE": path, "TAILTOWN_KMS_ENDPOINT": "http://127.0.0.1:9", "TAILTOWN_KEY_PASSPHRASE_FILE": "",
        ])
        let error = try #require(configError { try cut.keyring(home: nil, log: Log(level: .error)) })
        #expect(error.description.hasPrefix("TAILTOWN_ENCRYPTION_KEY_FILE='\(path)' (from environment): the key file holds key \(id) wrapped on line 2, "
            + "which cannot be unwrapped: cannot reach KMS Decrypt with key alias/any at http://127.0.0.1:9"), "\(error)")
        for key in keyring.entries { Self.expectNoKey(error.description, key.key) }

        // Without a second wrapping keygen writes nothing.
        let refused = try Self.settings(folder, kmsKey: settings.kmsKeyID?.text, ["TAILTOWN_KEY_PASSPHRASE_FILE": ""])
        #expect(throws: KeyWrappingError.secondWrappingMissing(origin: .environment)) {
            try KeyFile.generate(at: folder.path + "/refused", wrapping: Self.wrapping(refused))
        }
        #expect(!FileSystem.exists(folder.path + "/refused"))
        try KeyFile.activate(pending, at: path, wrapping: Self.wrapping(refused))
        let before = try String(contentsOfFile: path, encoding: .utf8)
        #expect(throws: KeyWrappingError.secondWrappingMissing(origin: .environment)) { try KeyFile.rotate(at: path, wrapping: Self.wrapping(refused)) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == before)
    }

    @Test func passphraseWrappingIsBoundToTheKeyIDAndChecksItsParameters() throws {
        let key = try Self.newKey()
        let blob = try PassphraseWrap.seal(key, keyID: key.keyIDHex, passphrase: Array(Self.passphrase.utf8))
        #expect(blob.count == 80 && Array(blob[0..<4]) == [1, 17, 8, 1])
        #expect(try PassphraseWrap.open(blob, keyID: key.keyIDHex, passphrase: Array(Self.passphrase.utf8)).map(\.bytes) == .success(key.bytes))
        #expect(try PassphraseWrap.open(blob, keyID: "0000000000000000", passphrase: Array(Self.passphrase.utf8)).map(\.bytes) == .failure(.notAuthentic))
        var huge = blob
        huge[1] = 30
        guard case .failure(.malformed) = try PassphraseWrap.open(huge, keyID: key.keyIDHex, passphrase: []) else {
            Issue.record("scrypt parameters out of range were accepted")
            return
        }
        guard case .failure(.malformed) = try PassphraseWrap.open(Array(blob.dropLast()), keyID: key.keyIDHex, passphrase: []) else {
            Issue.record("a short wrapping was accepted")
            return
        }
    }

    @Test func wrappedMaterialSyntax() {
        #expect(WrappedKey.parse("kms=AQID") == .success(WrappedKey(kms: [1, 2, 3])))
        #expect(WrappedKey.parse("passphrase=AQID;kms=BAU=") == .success(WrappedKey(kms: [4, 5], passphrase: [1, 2, 3])))
        #expect(WrappedKey(kms: [4, 5], passphrase: [1, 2, 3]).text == "wrapped:kms=BAU=;passphrase=AQID")
        #expect(WrappedKey(kms: [4, 5], kms2: [6], passphrase: [1, 2, 3]).text == "wrapped:kms=BAU=;kms2=Bg==;passphrase=AQID")
        #expect(WrappedKey.parse("kms2=Bg==") == .success(WrappedKey(kms2: [6])))
        let problems: [(Substring, String)] = [
            ("", "has a wrapping without '=': expected kms=BASE64;passphrase=BASE64"),
            ("kms=AQID;", "has a wrapping without '=': expected kms=BASE64;passphrase=BASE64"),
            ("kms=***", "has a kms wrapping that is not base64"),
            ("kms=AQID;kms=AQID", "names the kms wrapping twice"),
            ("gcp=AQID", "has a wrapping that is not kms, kms2 or passphrase"),
            ("kms2=AQID;kms2=AQID", "names the kms2 wrapping twice"),
            ("kms=", "has a kms wrapping that is not base64"),
        ]
        for (text, problem) in problems {
            #expect(WrappedKey.parse(text) == .failure(WrappedKey.Malformed(problem: problem)), "\(text)")
        }
    }

    @Test func thePassphraseFileIsCheckedLikeAKeyFile() throws {
        let folder = ConfigTestFolder()
        let open = try Self.settings(folder, kmsKey: "alias/x", ["TAILTOWN_KEY_PASSPHRASE_FILE": try folder.write("open", Self.passphrase, mode: 0o644)])
        let error = #expect(throws: KeyWrappingError.self) { try open.keyPassphrase() }
        #expect(error?.description.hasPrefix("TAILTOWN_KEY_PASSPHRASE_FILE='\(folder.path)/open' (from environment): the passphrase file has mode 0644") == true)
        let short = try Self.settings(folder, kmsKey: "alias/x", ["TAILTOWN_KEY_PASSPHRASE_FILE": try folder.write("short", "hunter2\n")])
        #expect(throws: KeyWrappingError.self) { try short.keyPassphrase() }
        let missing = try Self.settings(folder, kmsKey: "alias/x", ["TAILTOWN_KEY_PASSPHRASE_FILE": folder.path + "/none"])
        let unreadable = #expect(throws: KeyWrappingError.self) { try missing.keyPassphrase() }
        #expect(unreadable?.description.hasSuffix("the passphrase file cannot be read: No such file or directory") == true)
        #expect(try Self.settings(folder, kmsKey: "alias/x").keyPassphrase() == Array(Self.passphrase.utf8))
    }
}
