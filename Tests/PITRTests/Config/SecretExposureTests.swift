import Testing
@testable import PITRConfig
@testable import PITRSupport

/// No message about a config file line, an unknown name or a value shows text that could be a secret:
/// each case puts a key (or a secret-like token) where a user might paste it and looks for any part of it
/// in what the user would see.
@Suite struct SecretExposureTests {
    /// Keys chosen so that their base64 covers both shapes: one with `+` and `/` (an invalid name before
    /// its `=`), one of letters and digits only (a valid name before its `=`, once silently ignored).
    static let keys: [String] = [
        Base64.encode((0..<32).map { UInt8(($0 * 37 + 251) & 0xFF) }),
        Base64.encode((0..<32).map { UInt8(($0 * 11 + 64) & 0x3F) * 3 }),
    ]
    /// An AWS-style secret access key: 40 characters, no padding.
    static let awsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    @Test func theChosenKeysHaveBothShapes() {
        let beforeEquals = Self.keys.map { $0.prefix { $0 != "=" } }
        #expect(beforeEquals.contains { $0.contains("+") || $0.contains("/") })
        #expect(beforeEquals.contains { $0.allSatisfy { $0.isLetter || $0.isNumber } })
    }

    /// Any 10 consecutive characters of `secret` in `text`.
    static func leaks(_ secret: String, in text: String) -> Bool {
        let characters = Array(secret)
        guard characters.count >= 10 else { return text.contains(secret) }
        return (0...(characters.count - 10)).contains { text.contains(String(characters[$0..<$0 + 10])) }
    }

    static func lines(around secret: String) -> [String] {
        let unpadded = String(secret.prefix { $0 != "=" })
        return [
            secret,
            "  \(secret)\t",
            "\(secret)\r",
            "\"\(secret)\"",
            "'\(secret)'",
            "\(secret)=",
            "\(unpadded)",
            "export \(secret)",
            "TAILTOWN_\(unpadded)=x",
            "tailtown_encryption_key=\(secret)",
            "TAILTOWN_ENCRYPTION_KEY=\"\(secret)",
            "TAILTOWN_ENCRYPTION_KEY='\(secret)'x",
            "TAILTOWN_ENCRYPTON_KEY=\(secret)",
        ]
    }

    @Test(arguments: keys + [awsSecret])
    func aSecretOnAConfigLineIsNeverEchoed(_ secret: String) throws {
        for line in Self.lines(around: secret) {
            let text = "# settings\nTAILTOWN_REPO=file:///srv/pitr\n\(line)\nTAILTOWN_COMPRESSION=zstd\n"
            let error = configError { try ConfigFile.parse(text, path: "/etc/t.conf") }
            let description = try #require(error?.description, "no error for \(line.debugDescription)")
            #expect(description.hasPrefix("line 3 of /etc/t.conf "), "\(description)")
            #expect(!Self.leaks(secret, in: description), "\(description)")
        }
    }

    @Test(arguments: keys)
    func aKeyAloneOnALineIsAnErrorNotIgnored(_ key: String) {
        let error = configError { try ConfigFile.parse("TAILTOWN_REPO=file:///x\n\(key)\n", path: "/etc/t.conf") }
        #expect(error?.description.hasPrefix("line 2 of /etc/t.conf looks like an encryption key on its own, not NAME=value") == true)
    }

    /// The key file given as the config file: `config` must neither print the key nor run without it.
    @Test(arguments: keys)
    func aKeyFileGivenAsTheConfigFile(_ key: String) throws {
        let folder = ConfigTestFolder()
        let keyFile = try folder.write("tailtown.key", key + "\n")
        let error = configError { try Settings.load(flags: ["TAILTOWN_CONFIG": keyFile], environment: [:], defaultFile: folder.absentDefault) }
        let description = try #require(error?.description)
        #expect(description.hasPrefix("line 1 of \(keyFile) looks like an encryption key"))
        #expect(!Self.leaks(key, in: description))
    }

    @Test(arguments: keys + [awsSecret])
    func aSecretInANonSecretSettingIsNotShown(_ secret: String) throws {
        let folder = ConfigTestFolder()
        let environment = [
            "TAILTOWN_ENCRYPTION_KEY_FILE": secret, "TAILTOWN_REPO": secret, "TAILTOWN_COMPRESSION": secret,
            "TAILTOWN_LOG_LEVEL": secret, "TAILTOWN_RETAIN": secret, "TAILTOWN_PREFETCH": secret, "AWS_PROFILE": secret,
            "TAILTOWN_S3_PART_SIZE": secret, "TAILTOWN_S3_STORAGE_CLASS": secret,
        ]
        let settings = try Settings.load(flags: ["TAILTOWN_COMPRESSION_LEVEL": secret], environment: environment, defaultFile: folder.absentDefault)
        let messages: [String?] = [
            configError { try settings.keyring() }?.description,
            configError { try settings.repository() }?.description,
            configError { try settings.compression() }?.description,
            configError { try settings.logLevel() }?.description,
            configError { try settings.prefetch() }?.description,
            configError { try settings.s3PartSize() }?.description,
            configError { try settings.s3StorageClasses(onAWS: true) }?.description,
        ]
        for message in messages {
            let text = try #require(message)
            #expect(!Self.leaks(secret, in: text), "\(text)")
        }
        #expect(messages[0]?.hasPrefix("TAILTOWN_ENCRYPTION_KEY_FILE (from environment; the value looks like a key rather than a path): the key file ") == true)
        let report = settings.report().joined(separator: "\n")
        #expect(!Self.leaks(secret, in: report), "\(report)")
        #expect(report.contains("TAILTOWN_ENCRYPTION_KEY_FILE                ********  (environment)"))
        // An ordinary value is still shown, where it helps.
        #expect(configError { try Settings.load(flags: [:], environment: ["TAILTOWN_COMPRESSION": "lz5"], defaultFile: folder.absentDefault).compression() }?
            .description == "TAILTOWN_COMPRESSION='lz5' (from environment) is not one of lz4, zstd, none")
    }

    @Test(arguments: keys)
    func aKeyGivenAsTheConfigPathIsNotShown(_ key: String) throws {
        let folder = ConfigTestFolder()
        for (flags, environment) in [(["TAILTOWN_CONFIG": key], [String: String]()), ([:], ["TAILTOWN_CONFIG": key])] {
            let error = configError { try Settings.load(flags: flags, environment: environment, defaultFile: folder.absentDefault) }
            let description = try #require(error?.description)
            #expect(description.hasPrefix("TAILTOWN_CONFIG (from "), "\(description)")
            #expect(!Self.leaks(key, in: description))
        }
    }

    @Test(arguments: keys)
    func environmentWarningsShowOnlySettingNames(_ key: String) throws {
        let folder = ConfigTestFolder()
        let unpadded = String(key.prefix { $0 != "=" })
        let settings = try Settings.load(
            flags: [:], environment: ["TAILTOWN_" + unpadded: "1", "tailtown_compresion": "zstd", "TAILTOWN_WHATEVER": "1"],
            defaultFile: folder.absentDefault)
        let warnings = settings.environmentWarnings
        #expect(warnings.count == 3)
        #expect(!warnings.contains { Self.leaks(unpadded, in: $0) })
        #expect(warnings.contains("an environment variable under TAILTOWN_ that is not a setting is ignored (did you mean TAILTOWN_COMPRESSION?)"))
        #expect(warnings.contains("unknown setting TAILTOWN_WHATEVER in the environment is ignored"))
    }

    @Test func namesAreShownOnlyWhenTheyReadAsSettingNames() {
        #expect(SecretText.isShowableName("TAILTOWN_COMPRESSON"))
        #expect(SecretText.isShowableName("TAILTOWN_S3_SSE_KMS_KEY_ID2"))
        #expect(!SecretText.isShowableName("tailtown_repo"))
        #expect(!SecretText.isShowableName("TAILTOWN_Repo"))
        #expect(!SecretText.isShowableName("TAILTOWN_" + String(repeating: "A", count: 40)))
        #expect(!SecretText.isShowableName("9TAILTOWN"))
        #expect(!SecretText.isShowableName(""))
        for key in Self.keys {
            #expect(!SecretText.isShowableName(key.prefix { $0 != "=" }))
        }
    }

    @Test func keyMaterialIsToldFromOrdinaryValues() {
        for secret in Self.keys + [Self.awsSecret, "AQoDYXdzEJr//////////wEaoAK1wvxJY12r2IrDFrUyLk+Qn0Y4kA=="] {
            #expect(SecretText.looksLikeKeyMaterial(secret), "\(secret)")
        }
        for hidden in ["daily=7 \(Self.keys[0])", "daily=\(Self.keys[1])", "\(Self.awsSecret) # the secret", "/srv/\(Self.keys[0])"] {
            #expect(SecretText.containsKeyMaterial(hidden), "\(hidden)")
            #expect(SettingDefinition.retain.shown(hidden) == nil)
        }
        for ordinary in ["file:///var/lib/tailtown-pitr", "daily=7 weekly=4 monthly=12 yearly=7", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab"] {
            #expect(!SecretText.containsKeyMaterial(ordinary), "\(ordinary)")
        }
        for ordinary in ["file:///var/lib/tailtown-pitr", "s3://bucket/prefix", "/etc/tailtown-pitr.key", "/var/lib/postgresql/15/main",
                         "STANDARD_IA", "32MiB", "daily=7 weekly=4", "https://hooks.example.com/T0", "AKIAIOSFODNN7EXAMPLE",
                         "1234abcd-12ab-34cd-56ef-1234567890ab", "zstd", "debug"] {
            #expect(!SecretText.looksLikeKeyMaterial(ordinary), "\(ordinary)")
        }
    }
}
