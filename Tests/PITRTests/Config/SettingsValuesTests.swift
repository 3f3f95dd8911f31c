import Testing
@testable import PITRConfig

@Suite struct SettingsValuesTests {
    func settings(_ environment: [String: String], flags: [String: String] = [:]) throws -> Settings {
        try Settings.load(flags: flags, environment: environment, defaultFile: "/nonexistent/tailtown-test.conf")
    }

    @Test func defaults() throws {
        let settings = try settings([:])
        #expect(try settings.compression() == .lz4)
        #expect(try settings.compressionLevel() == nil)
        #expect(try settings.keyring() == nil)
        #expect(try settings.logLevel() == .info)
    }

    @Test func compressionNamesAreCheckedAndCaseInsensitive() throws {
        #expect(try settings(["TAILTOWN_COMPRESSION": "ZSTD"]).compression() == .zstd)
        #expect(try settings(["TAILTOWN_COMPRESSION": "none"]).compression() == .none)
        let error = configError { try settings(["TAILTOWN_COMPRESSION": "lz5"]).compression() }
        #expect(error?.description == "TAILTOWN_COMPRESSION='lz5' (from environment) is not one of lz4, zstd, none")
    }

    @Test func anErrorFromAFileNamesTheFileAndLine() throws {
        let folder = ConfigTestFolder()
        let file = try folder.write("t.conf", "# c\n\nTAILTOWN_COMPRESSION=lz5\n")
        let error = configError { try Settings.load(flags: [:], environment: [:], defaultFile: file).compression() }
        #expect(error?.description == "TAILTOWN_COMPRESSION='lz5' (from \(file) line 3) is not one of lz4, zstd, none")
        let byFlag = configError { try settings([:], flags: ["TAILTOWN_COMPRESSION": "gzip"]).compression() }
        #expect(byFlag?.description == "TAILTOWN_COMPRESSION='gzip' (from flag --compression) is not one of lz4, zstd, none")
    }

    @Test(arguments: [
        ("lz4", "1", 1), ("lz4", "12", 12), ("zstd", "1", 1), ("zstd", "19", 19), ("zstd", "-5", -5), ("zstd", "-1", -1),
    ])
    func levelsInRange(_ compression: String, _ level: String, _ expected: Int) throws {
        let settings = try settings(["TAILTOWN_COMPRESSION": compression, "TAILTOWN_COMPRESSION_LEVEL": level])
        #expect(try settings.compressionLevel() == expected)
    }

    @Test(arguments: [
        ("lz4", "0"), ("lz4", "13"), ("lz4", "-1"), ("zstd", "0"), ("zstd", "20"), ("zstd", "-6"),
    ])
    func levelsOutOfRange(_ compression: String, _ level: String) throws {
        let settings = try settings(["TAILTOWN_COMPRESSION": compression, "TAILTOWN_COMPRESSION_LEVEL": level])
        let error = configError { try settings.compressionLevel() }
        #expect(error?.description.hasPrefix("TAILTOWN_COMPRESSION_LEVEL='\(level)' (from environment) is out of range for \(compression): use 1...") == true)
    }

    @Test func aLevelMustBeAnInteger() throws {
        let error = configError { try settings(["TAILTOWN_COMPRESSION_LEVEL": "fast"]).compressionLevel() }
        #expect(error?.description == "TAILTOWN_COMPRESSION_LEVEL='fast' (from environment) is not an integer")
    }

    @Test func aLevelIsIgnoredWithoutCompression() throws {
        let settings = try settings(["TAILTOWN_COMPRESSION_LEVEL": "19"], flags: ["TAILTOWN_COMPRESSION": "none"])
        #expect(try settings.compressionLevel() == nil)
    }

    @Test func aNotifyURLMustBeHTTPAndIsNeverEchoed() throws {
        #expect(try settings([:]).notifyURL() == nil)
        #expect(try settings(["TAILTOWN_NOTIFY_URL": "https://hooks.example/T1/B2/secret3"]).notifyURL() == "https://hooks.example/T1/B2/secret3")
        let error = configError { try settings(["TAILTOWN_NOTIFY_URL": "hooks.example/T1/B2/secret3"]).notifyURL() }
        #expect(error?.description.contains("TAILTOWN_NOTIFY_URL") == true)
        #expect(error?.description.contains("is not an http:// or https:// URL") == true)
        #expect(error?.description.contains("secret3") == false, "\(String(describing: error))")
    }

    @Test func logLevels() throws {
        #expect(try settings(["TAILTOWN_LOG_LEVEL": "debug"]).logLevel() == .debug)
        #expect(try settings(["TAILTOWN_LOG_LEVEL": "WARNING"]).logLevel() == .warning)
        let error = configError { try settings(["TAILTOWN_LOG_LEVEL": "verbose"]).logLevel() }
        #expect(error?.description == "TAILTOWN_LOG_LEVEL='verbose' (from environment) is not one of debug, info, warning, error")
    }

    @Test func theReportListsEverySettingWithItsOrigin() throws {
        let folder = ConfigTestFolder()
        let named = try folder.write("named.conf", "TAILTOWN_LOG_LEVEL=debug\n")
        let settings = try Settings.load(
            flags: ["TAILTOWN_REPO": "file:///srv/pitr"],
            environment: ["TAILTOWN_CONFIG": named, "TAILTOWN_COMPRESSION": "zstd"],
            defaultFile: folder.absentDefault)
        #expect(settings.report() == [
            "TAILTOWN_CONFIG                             \(named)  (environment)",
            "TAILTOWN_REPO                               file:///srv/pitr  (flag --repo)",
            "TAILTOWN_COMPRESSION                        zstd  (environment)",
            "TAILTOWN_COMPRESSION_LEVEL                  (unset)",
            "TAILTOWN_ENCRYPTION_KEY_FILE                (unset)",
            "TAILTOWN_ENCRYPTION_KEY                     (unset)",
            "TAILTOWN_LOG_LEVEL                          debug  (file \(named) line 1)",
            "TAILTOWN_RETAIN                             daily=7 weekly=4 monthly=12 yearly=7  (default)",
            "TAILTOWN_RETAIN_DUMPS                       (unset)",
            "TAILTOWN_FULL_EVERY                         7d  (default)",
            "TAILTOWN_NOTIFY_URL                         (unset)",
            "TAILTOWN_UPLOAD_CONCURRENCY                 (unset)",
            "TAILTOWN_PUSH_AHEAD                         (unset)",
            "TAILTOWN_PREFETCH                           8  (default)",
            "TAILTOWN_FETCH_GAP_GRACE                    60  (default)",
            "TAILTOWN_KMS_KEY_ID                         (unset)",
            "TAILTOWN_KMS_SECOND_KEY_ID                  (unset)",
            "TAILTOWN_KMS_ENDPOINT                       (unset)",
            "TAILTOWN_KEY_PASSPHRASE_FILE                (unset)",
            "TAILTOWN_KMS_CACHE_SECONDS                  300  (default)",
            "AWS_ACCESS_KEY_ID                           (unset)",
            "AWS_SECRET_ACCESS_KEY                       (unset)",
            "AWS_SESSION_TOKEN                           (unset)",
            "AWS_REGION                                  (unset)",
            "AWS_ENDPOINT_URL                            (unset)",
            "AWS_PROFILE                                 (unset)",
            "AWS_SHARED_CREDENTIALS_FILE                 (unset)",
            "AWS_CONFIG_FILE                             (unset)",
            "AWS_ROLE_ARN                                (unset)",
            "AWS_ROLE_SESSION_NAME                       (unset)",
            "AWS_WEB_IDENTITY_TOKEN_FILE                 (unset)",
            "AWS_ENDPOINT_URL_STS                        (unset)",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI      (unset)",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI          (unset)",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN           (unset)",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE      (unset)",
            "AWS_EC2_METADATA_DISABLED                   false  (default)",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT           (unset)",
            "TAILTOWN_CACHE_DIR                          (unset)",
            "XDG_CACHE_HOME                              (unset)",
            "TAILTOWN_S3_PATH_STYLE                      auto  (default)",
            "TAILTOWN_S3_STORAGE_CLASS                   (unset)",
            "TAILTOWN_S3_STORAGE_CLASS_DAILY             (unset)",
            "TAILTOWN_S3_STORAGE_CLASS_WEEKLY            (unset)",
            "TAILTOWN_S3_STORAGE_CLASS_MONTHLY           (unset)",
            "TAILTOWN_S3_STORAGE_CLASS_YEARLY            (unset)",
            "TAILTOWN_S3_STORAGE_CLASS_WAL               (unset)",
            "TAILTOWN_S3_PRICES                          (unset)",
            "TAILTOWN_S3_SSE                             (unset)",
            "TAILTOWN_S3_SSE_KMS_KEY_ID                  (unset)",
            "TAILTOWN_S3_PART_SIZE                       17MiB  (default)",
            "TAILTOWN_S3_READ_SIZE                       17MiB  (default)",
            "TAILTOWN_S3_OBJECT_LOCK                     (unset)",
            "TAILTOWN_S3_OBJECT_LOCK_MARGIN              7d  (default)",
            "TAILTOWN_S3_MAX_RETRIES                     6  (default)",
            "TAILTOWN_S3_CA_FILE                         (unset)",
            "TAILTOWN_REPO2                              (unset)",
            "TAILTOWN_REPO2_AWS_ACCESS_KEY_ID            (unset)",
            "TAILTOWN_REPO2_AWS_SECRET_ACCESS_KEY        (unset)",
            "TAILTOWN_REPO2_AWS_SESSION_TOKEN            (unset)",
            "TAILTOWN_REPO2_AWS_REGION                   (unset)",
            "TAILTOWN_REPO2_AWS_ENDPOINT_URL             (unset)",
            "TAILTOWN_REPO2_AWS_PROFILE                  (unset)",
            "TAILTOWN_REPO2_AWS_SHARED_CREDENTIALS_FILE  (unset)",
            "TAILTOWN_REPO2_AWS_CONFIG_FILE              (unset)",
            "TAILTOWN_REPO2_AWS_ROLE_ARN                 (unset)",
            "TAILTOWN_REPO2_AWS_ROLE_SESSION_NAME        (unset)",
            "TAILTOWN_REPO2_AWS_WEB_IDENTITY_TOKEN_FILE  (unset)",
            "TAILTOWN_REPO2_AWS_ENDPOINT_URL_STS         (unset)",
            "TAILTOWN_REPO2_S3_PATH_STYLE                auto  (default)",
            "TAILTOWN_REPO2_S3_STORAGE_CLASS             (unset)",
            "TAILTOWN_REPO2_S3_STORAGE_CLASS_DAILY       (unset)",
            "TAILTOWN_REPO2_S3_STORAGE_CLASS_WEEKLY      (unset)",
            "TAILTOWN_REPO2_S3_STORAGE_CLASS_MONTHLY     (unset)",
            "TAILTOWN_REPO2_S3_STORAGE_CLASS_YEARLY      (unset)",
            "TAILTOWN_REPO2_S3_STORAGE_CLASS_WAL         (unset)",
            "TAILTOWN_REPO2_S3_SSE                       (unset)",
            "TAILTOWN_REPO2_S3_SSE_KMS_KEY_ID            (unset)",
            "TAILTOWN_REPO2_S3_PART_SIZE                 17MiB  (default)",
            "TAILTOWN_REPO2_S3_READ_SIZE                 17MiB  (default)",
            "TAILTOWN_REPO2_S3_OBJECT_LOCK               (unset)",
            "TAILTOWN_REPO2_S3_OBJECT_LOCK_MARGIN        7d  (default)",
            "TAILTOWN_REPO2_S3_MAX_RETRIES               6  (default)",
            "TAILTOWN_REPO2_S3_CA_FILE                   (unset)",
            "config file \(named) (named by TAILTOWN_CONFIG, environment): read",
            "config file \(folder.absentDefault) (default): not present",
        ])
    }
}
