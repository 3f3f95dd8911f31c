import Foundation
import Testing
@testable import PITRConfig
@testable import PITRStorage

@Suite("S3 settings: AWS_* environment, profiles, TAILTOWN_S3_*")
struct S3SettingsTests {
    func settings(_ environment: [String: String]) throws -> Settings {
        try Settings.load(flags: [:], environment: environment, defaultFile: "/nonexistent/tailtown-pitr.conf")
    }

    func temporaryHome(credentials: String? = nil, config: String? = nil) throws -> String {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("tt-home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        if let credentials { try credentials.write(toFile: home + "/.aws/credentials", atomically: true, encoding: .utf8) }
        if let config { try config.write(toFile: home + "/.aws/config", atomically: true, encoding: .utf8) }
        return home
    }

    @Test func environmentCredentialsAndDefaults() throws {
        let configuration = try settings(["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"])
            .s3Configuration(bucket: "tailtown", prefix: "pg/main", home: nil)
        #expect(try configuration.credentials.credentials() == AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "token"))
        #expect(configuration.region == "us-east-1")
        #expect(configuration.endpoint == S3Endpoint(scheme: "https", host: "s3.us-east-1.amazonaws.com", style: .virtualHost))
        #expect(configuration.prefix == "pg/main")
        #expect(configuration.partSize == 17 << 20)
        #expect(configuration.readSize == 17 << 20)
        #expect(configuration.retry.maxRetries == 6)
        // On AWS, unset classes take the least-cost ones; STANDARD needs no header.
        #expect(configuration.storageClasses == .leastCost)
        #expect(configuration.newObjectHeaders(key: "wal/15-1/0000000100000000/000000010000000000000001").isEmpty)
        #expect(configuration.serverSideEncryption == nil)
    }

    @Test func storageClassesByRetentionClass() throws {
        let base = ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"]
        func classes(_ values: [String: String]) throws -> S3StorageClasses {
            try settings(base.merging(values) { $1 }).s3Configuration(bucket: "bucket", prefix: "", home: nil).storageClasses
        }
        // Another endpoint: the bucket's default for every class unset.
        #expect(try classes(["AWS_ENDPOINT_URL": "http://127.0.0.1:9000"]) == S3StorageClasses())
        // TAILTOWN_S3_STORAGE_CLASS is the default of each class not set; the plan's preset.
        #expect(try classes(["TAILTOWN_S3_STORAGE_CLASS": "STANDARD_IA", "TAILTOWN_S3_STORAGE_CLASS_MONTHLY": "glacier",
                             "TAILTOWN_S3_STORAGE_CLASS_YEARLY": "DEEP_ARCHIVE"])
                == S3StorageClasses(daily: "STANDARD_IA", weekly: "STANDARD_IA", monthly: "GLACIER", yearly: "DEEP_ARCHIVE", wal: "STANDARD_IA",
                                    other: "STANDARD_IA"))
        let configuration = try settings(base.merging(["TAILTOWN_S3_STORAGE_CLASS_DAILY": "STANDARD_IA", "TAILTOWN_S3_STORAGE_CLASS_WAL": "ONEZONE_IA"]) { $1 })
            .s3Configuration(bucket: "bucket", prefix: "", home: nil)
        #expect(configuration.newObjectHeaders(key: "backups/b/base.tar.0000").map(\.value) == ["STANDARD_IA"])
        #expect(configuration.newObjectHeaders(key: "wal/15-1/0000000100000000/000000010000000000000001").map(\.value) == ["ONEZONE_IA"])
        #expect(configuration.newObjectHeaders(key: "log/0001").isEmpty)
        // Archive classes only where nothing the window or wal-fetch reads goes; tiers only down the waterfall.
        for (name, value, problem) in [("TAILTOWN_S3_STORAGE_CLASS_DAILY", "GLACIER", "keeps objects offline"),
                                       ("TAILTOWN_S3_STORAGE_CLASS_WAL", "DEEP_ARCHIVE", "keeps objects offline"),
                                       ("TAILTOWN_S3_STORAGE_CLASS_WEEKLY", "GLACIER", "keeps objects offline"),
                                       ("TAILTOWN_S3_STORAGE_CLASS_MONTHLY", "STANDARD", "warmer than TAILTOWN_S3_STORAGE_CLASS_WEEKLY (STANDARD_IA)"),
                                       ("TAILTOWN_S3_STORAGE_CLASS_YEARLY", "REDUCED_REDUNDANCY", "which S3 lifecycle rules cannot move objects to")] {
            let error = #expect(throws: (any Error).self, "\(name)=\(value)") { _ = try classes([name: value]) }
            #expect("\(error.map { "\($0)" } ?? "")".contains(name), "\(String(describing: error))")
            #expect("\(error.map { "\($0)" } ?? "")".contains(problem), "\(String(describing: error))")
        }
    }

    @Test func customEndpointUsesPathStyleUnlessTold() throws {
        var environment = ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_ENDPOINT_URL": "http://127.0.0.1:9000/", "AWS_REGION": "eu-west-3"]
        var configuration = try settings(environment).s3Configuration(bucket: "b-1", prefix: "", home: nil)
        #expect(configuration.endpoint == S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9000, style: .path))
        #expect(configuration.endpoint.hostHeader(bucket: "b-1") == "127.0.0.1:9000")
        #expect(configuration.region == "eu-west-3")
        environment["TAILTOWN_S3_PATH_STYLE"] = "false"
        configuration = try settings(environment).s3Configuration(bucket: "b-1", prefix: "", home: nil)
        #expect(configuration.endpoint.style == .virtualHost)
        #expect(configuration.endpoint.hostHeader(bucket: "b-1") == "b-1.127.0.0.1:9000")
        environment["AWS_ENDPOINT_URL"] = "ftp://x"
        #expect(throws: ConfigError.self) { _ = try settings(environment).s3Configuration(bucket: "b-1", prefix: "", home: nil) }
    }

    @Test func profilesFromCredentialsAndConfigFiles() throws {
        let home = try temporaryHome(
            credentials: "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = defaultsecret\n\n[archive]\naws_access_key_id=ARCHIVEKEY\naws_secret_access_key=archivesecret\naws_session_token = tok\n",
            config: "[default]\nregion = eu-central-1\n\n[profile archive]\nregion = ap-south-1\nendpoint_url = https://minio.internal:9443\ns3 =\n  addressing_style = path\n[sso-session x]\nregion = nowhere\n")
        let byDefault = try settings([:]).s3Configuration(bucket: "bucket", prefix: "", home: home)
        #expect(try byDefault.credentials.credentials().accessKeyID == "DEFAULTKEY")
        #expect(byDefault.region == "eu-central-1")
        #expect(byDefault.endpoint.host == "s3.eu-central-1.amazonaws.com")
        let archive = try settings(["AWS_PROFILE": "archive"]).s3Configuration(bucket: "bucket", prefix: "", home: home)
        #expect(try archive.credentials.credentials() == AWSCredentials(accessKeyID: "ARCHIVEKEY", secretAccessKey: "archivesecret", sessionToken: "tok"))
        #expect(archive.region == "ap-south-1")
        #expect(archive.endpoint == S3Endpoint(scheme: "https", host: "minio.internal", port: 9443, style: .path))
        // The environment wins over the profile.
        let overridden = try settings(["AWS_PROFILE": "archive", "AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "ENV", "AWS_SECRET_ACCESS_KEY": "envsecret"])
            .s3Configuration(bucket: "bucket", prefix: "", home: home)
        #expect(try overridden.credentials.credentials().accessKeyID == "ENV")
        #expect(overridden.region == "us-west-2")
        let missing = #expect(throws: ConfigError.self) { _ = try settings(["AWS_PROFILE": "nope"]).s3Configuration(bucket: "bucket", prefix: "", home: home) }
        #expect(missing?.description.contains("AWS_PROFILE") == true)
    }

    @Test func missingCredentialsSayWhatToSet() throws {
        let home = try temporaryHome()
        let error = #expect(throws: S3Error.self) {
            _ = try settings(["AWS_EC2_METADATA_DISABLED": "true"]).s3Configuration(bucket: "bucket", prefix: "", home: home)
        }
        #expect(error?.description.contains("AWS_ACCESS_KEY_ID") == true)
        let noSecret = #expect(throws: S3Error.self) { _ = try settings(["AWS_ACCESS_KEY_ID": "A"]).s3Configuration(bucket: "bucket", prefix: "", home: home) }
        #expect(noSecret?.description.contains("AWS_SECRET_ACCESS_KEY") == true)
    }

    @Test func tailtownS3Settings() throws {
        let base = ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"]
        let configuration = try settings(base.merging([
            "TAILTOWN_S3_STORAGE_CLASS": "standard_ia", "TAILTOWN_S3_SSE": "aws:kms", "TAILTOWN_S3_SSE_KMS_KEY_ID": "alias/pitr",
            "TAILTOWN_S3_PART_SIZE": "8MiB", "TAILTOWN_S3_READ_SIZE": "2MiB", "TAILTOWN_S3_MAX_RETRIES": "3",
        ]) { $1 }).s3Configuration(bucket: "bucket", prefix: "", home: nil)
        #expect(configuration.storageClasses.daily == "STANDARD_IA")
        #expect(configuration.serverSideEncryption == .kms(keyID: "alias/pitr"))
        #expect(configuration.partSize == 8 << 20)
        #expect(configuration.readSize == 2 << 20)
        #expect(try settings(base).s3Configuration(bucket: "bucket", prefix: "", home: nil).readSize == S3Configuration.defaultReadSize)
        #expect(configuration.retry.maxRetries == 3)
        #expect(configuration.newObjectHeaders(key: "backups/b/base.tar.0000").map(\.name) == ["x-amz-storage-class", "x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"])
        for (name, value) in [("TAILTOWN_S3_PART_SIZE", "1MiB"), ("TAILTOWN_S3_PART_SIZE", "lots"), ("TAILTOWN_S3_READ_SIZE", "512KiB"), ("TAILTOWN_S3_READ_SIZE", "6GiB"), ("TAILTOWN_S3_MAX_RETRIES", "-1"),
                              ("TAILTOWN_S3_SSE", "rot13"), ("TAILTOWN_S3_STORAGE_CLASS", "DEEP_ARCHIVE"), ("TAILTOWN_S3_PATH_STYLE", "maybe"),
                              ("TAILTOWN_S3_SSE_KMS_KEY_ID", "k"), ("TAILTOWN_S3_CA_FILE", "/nonexistent.pem"),
                              ("TAILTOWN_S3_OBJECT_LOCK", "forever"), ("TAILTOWN_S3_OBJECT_LOCK_MARGIN", "soon")] {
            let error = #expect(throws: ConfigError.self, "\(name)=\(value)") {
                _ = try settings(base.merging([name: value]) { $1 }).s3Configuration(bucket: "bucket", prefix: "", home: nil)
            }
            #expect(error?.description.contains(name) == true)
        }
    }

    @Test func secretsAreMaskedInTheReport() throws {
        let report = try settings(["AWS_ACCESS_KEY_ID": "AKIDSHOWN", "AWS_SECRET_ACCESS_KEY": "hidden-secret", "AWS_SESSION_TOKEN": "hidden-token"]).report()
        #expect(report.contains { $0.contains("AKIDSHOWN") })
        #expect(!report.contains { $0.contains("hidden-secret") || $0.contains("hidden-token") })
    }
}
