import Foundation
import Testing
@testable import PITRConfig
@testable import PITRStorage
import PITRSupport

/// Which source the chain picks from the settings and the profiles, in the SDKs' order, and what `config` says of it.
/// Nothing is fetched here (CredentialProviderTests fetches from real servers).
@Suite("AWS credential chain: the source chosen")
struct CredentialChainTests {
    let home: String

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("tt-chain-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home + "/.aws", withIntermediateDirectories: true)
        try """
        [default]
        region = eu-central-1

        [profile keys]
        aws_access_key_id = PROFILEKEY
        aws_secret_access_key = profile-secret

        [profile archiver]
        role_arn = arn:aws:iam::123456789012:role/archiver
        source_profile = keys
        external_id = ext-1

        [profile irsa]
        role_arn = arn:aws:iam::123456789012:role/irsa
        web_identity_token_file = /var/run/secrets/token
        role_session_name = pg-host

        [profile chained]
        role_arn = arn:aws:iam::123456789012:role/second
        source_profile = archiver

        [profile loop-a]
        role_arn = arn:aws:iam::123456789012:role/a
        source_profile = loop-b

        [profile loop-b]
        role_arn = arn:aws:iam::123456789012:role/b
        source_profile = loop-a

        [profile on-ec2]
        role_arn = arn:aws:iam::123456789012:role/from-instance
        credential_source = Ec2InstanceMetadata

        [profile dangling]
        role_arn = arn:aws:iam::123456789012:role/x
        """.write(toFile: home + "/.aws/config", atomically: true, encoding: .utf8)
    }

    func source(_ environment: [String: String]) throws -> AWSCredentialSource {
        try Settings.load(flags: [:], environment: environment, defaultFile: "/nonexistent/tailtown-pitr.conf")
            .awsAccount(home: home, log: Log(level: .error)).credentials.source
    }

    func fetcher<T>(_ environment: [String: String], as type: T.Type) throws -> T {
        guard case .temporary(let fetcher) = try source(environment), let typed = fetcher as? T else {
            throw WrongSource(expected: "\(T.self)")
        }
        return typed
    }

    struct WrongSource: Error { let expected: String }

    @Test("environment keys first, then the web identity of AWS_WEB_IDENTITY_TOKEN_FILE, then the profile")
    func order() throws {
        let webIdentity = ["AWS_WEB_IDENTITY_TOKEN_FILE": "/tok", "AWS_ROLE_ARN": "arn:aws:iam::1:role/w", "AWS_PROFILE": "keys"]
        guard case .fixed(let keys, _) = try source(webIdentity.merging(["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "s"]) { $1 }) else {
            Issue.record("environment keys were not chosen"); return
        }
        #expect(keys.accessKeyID == "ENVKEY")
        let identity = try fetcher(webIdentity, as: WebIdentityCredentials.self)
        #expect(identity.roleARN == "arn:aws:iam::1:role/w" && identity.tokenFile == "/tok")
        #expect(identity.sessionName == "tailtown-pitr-\(geteuid())")
        // STS is regional, in the profile's region (AWS_PROFILE=keys has none: us-east-1), unless AWS_ENDPOINT_URL_STS says otherwise.
        #expect(identity.sts.url == "https://sts.us-east-1.amazonaws.com")
        let moved = try fetcher(webIdentity.merging(["AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566", "AWS_ROLE_SESSION_NAME": "s1"]) { $1 },
                                as: WebIdentityCredentials.self)
        #expect(moved.sts.url == "http://127.0.0.1:4566" && moved.sessionName == "s1")
        guard case .fixed(let profileKeys, let origin) = try source(["AWS_PROFILE": "keys"]) else { Issue.record("profile keys"); return }
        #expect(profileKeys.accessKeyID == "PROFILEKEY" && origin.contains("profile 'keys'"))
        let error = #expect(throws: S3Error.self) { _ = try source(["AWS_WEB_IDENTITY_TOKEN_FILE": "/tok"]) }
        #expect(error?.description.contains("AWS_ROLE_ARN") == true)
    }

    @Test("a profile's role: web identity, source_profile (chained too), credential_source; loops and dangling roles refused")
    func profileRoles() throws {
        let irsa = try fetcher(["AWS_PROFILE": "irsa"], as: WebIdentityCredentials.self)
        #expect(irsa.roleARN.hasSuffix("role/irsa") && irsa.sessionName == "pg-host" && irsa.tokenFile == "/var/run/secrets/token")
        let archiver = try fetcher(["AWS_PROFILE": "archiver"], as: AssumedRoleCredentials.self)
        #expect(archiver.roleARN.hasSuffix("role/archiver") && archiver.externalID == "ext-1")
        guard case .fixed(let sourceKeys, _) = archiver.source else { Issue.record("source_profile keys"); return }
        #expect(sourceKeys.accessKeyID == "PROFILEKEY")
        let description = archiver.description
        #expect(description.contains("arn:aws:iam::123456789012:role/archiver") && description.contains("PROFILEKEY"))
        #expect(!description.contains("profile-secret"))
        let chained = try fetcher(["AWS_PROFILE": "chained"], as: AssumedRoleCredentials.self)
        guard case .temporary(let inner as AssumedRoleCredentials) = chained.source else { Issue.record("chained role"); return }
        #expect(inner.roleARN.hasSuffix("role/archiver"))
        #expect(chained.cacheIdentity != inner.cacheIdentity)
        let onEC2 = try fetcher(["AWS_PROFILE": "on-ec2", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"], as: AssumedRoleCredentials.self)
        guard case .temporary(let metadata as InstanceMetadataCredentials) = onEC2.source else { Issue.record("credential_source"); return }
        #expect(metadata.endpoint == "http://127.0.0.1:9")
        let loop = #expect(throws: S3Error.self) { _ = try source(["AWS_PROFILE": "loop-a"]) }
        #expect(loop?.description.contains("loop") == true)
        let dangling = #expect(throws: S3Error.self) { _ = try source(["AWS_PROFILE": "dangling"]) }
        #expect(dangling?.description.contains("source_profile") == true)
    }

    @Test("container endpoints: ECS's relative URI, a full URI only over https or to loopback and the container addresses")
    func container() throws {
        let ecs = try fetcher(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc"], as: ContainerCredentials.self)
        #expect(ecs.url == "http://169.254.170.2/v2/credentials/abc")
        for allowed in ["http://169.254.170.23/v1/credentials", "http://127.0.0.1:8080/creds", "https://creds.example.com/x", "http://localhost/x"] {
            let full = try fetcher(["AWS_CONTAINER_CREDENTIALS_FULL_URI": allowed, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/token"],
                                   as: ContainerCredentials.self)
            #expect(full.url == allowed)
            #expect(full.description.contains("/token"))
        }
        for refused in ["http://10.0.0.5/creds", "http://169.254.170.3/x", "ftp://127.0.0.1/x"] {
            let error = #expect(throws: ConfigError.self) { _ = try source(["AWS_CONTAINER_CREDENTIALS_FULL_URI": refused]) }
            #expect(error?.description.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI") == true, "\(refused)")
        }
        // The token itself is secret: the description says only that one is sent.
        let withToken = try fetcher(["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/c", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer hush"],
                                    as: ContainerCredentials.self)
        #expect(!withToken.description.contains("hush") && !withToken.cacheIdentity.contains("hush"))
    }

    @Test("instance metadata last, unless AWS_EC2_METADATA_DISABLED; then no source is an error that says what to set")
    func instanceMetadata() throws {
        let metadata = try fetcher([:], as: InstanceMetadataCredentials.self)
        #expect(metadata.endpoint == "http://169.254.169.254")
        let error = #expect(throws: S3Error.self) { _ = try source(["AWS_EC2_METADATA_DISABLED": "true"]) }
        #expect(error?.description.contains("AWS_ACCESS_KEY_ID") == true)
        #expect(throws: ConfigError.self) { _ = try source(["AWS_EC2_METADATA_DISABLED": "maybe"]) }
    }

    @Test("config names the source, never the secret; the cache folder follows TAILTOWN_CACHE_DIR, XDG_CACHE_HOME, HOME")
    func configAndCacheFolder() throws {
        let settings = try Settings.load(flags: [:], environment: [
            "TAILTOWN_REPO": "s3://bucket/p", "AWS_WEB_IDENTITY_TOKEN_FILE": "/tok", "AWS_ROLE_ARN": "arn:aws:iam::1:role/w",
            "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566",
        ], defaultFile: "/nonexistent/tailtown-pitr.conf")
        #expect(try settings.awsCredentialsDescription(home: home)
                == "web identity (role arn:aws:iam::1:role/w, token file /tok from AWS_WEB_IDENTITY_TOKEN_FILE, via STS at http://127.0.0.1:4566)")
        let fileRepository = try Settings.load(flags: [:], environment: ["TAILTOWN_REPO": "file:///x"], defaultFile: "/nonexistent/tailtown-pitr.conf")
        #expect(try fileRepository.awsCredentialsDescription(home: home) == nil)
        func folder(_ environment: [String: String], home: String? = "/home/pg") throws -> String? {
            try Settings.load(flags: [:], environment: environment, defaultFile: "/nonexistent/tailtown-pitr.conf").cacheFolder(home: home)
        }
        #expect(try folder([:]) == "/home/pg/.cache/tailtown-pitr")
        #expect(try folder(["XDG_CACHE_HOME": "/xdg"]) == "/xdg/tailtown-pitr")
        #expect(try folder(["TAILTOWN_CACHE_DIR": "/var/cache/pitr", "XDG_CACHE_HOME": "/xdg"]) == "/var/cache/pitr")
        #expect(try folder(["TAILTOWN_CACHE_DIR": "none"]) == nil)
        #expect(try folder([:], home: nil) == nil)
        #expect(throws: ConfigError.self) { _ = try folder(["TAILTOWN_CACHE_DIR": "relative"]) }
    }
}

/// `credential_process` with a real program: run without a shell, given no secret of ours, its JSON read and never shown.
@Suite("AWS credential chain: credential_process")
struct CredentialProcessTests {
    @Test("the program runs without a shell with its quoted arguments, gets no secret of ours, and its Version 1 JSON is cached")
    func credentialProcess() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tt-process-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/bin dir", withIntermediateDirectories: true)
        let script = folder + "/bin dir/credentials helper"
        try """
        #!/bin/sh
        echo run >> "$(dirname "$0")/runs"
        env > "$(dirname "$0")/environment"
        printf '%s\\n' "$@" > "$(dirname "$0")/arguments"
        echo "a diagnostic on standard error" >&2
        printf '{"Version": 1, "AccessKeyId": "ASIAPROCESS", "SecretAccessKey": "process-secret", "SessionToken": "process-token", "Expiration": "%s"}\\n' \
            "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o700)
        try "[profile helper]\ncredential_process = \"\(script)\" --role 'pitr archiver' plain\\ word $HOME\n"
            .write(toFile: folder + "/config", atomically: true, encoding: .utf8)
        let settings = try Settings.load(flags: [:], environment: ["AWS_CONFIG_FILE": folder + "/config", "AWS_PROFILE": "helper",
                                                                   "TAILTOWN_CACHE_DIR": folder + "/cache"],
                                          defaultFile: "/nonexistent/tailtown-pitr.conf")
        let provider = try settings.awsAccount(home: nil, log: Log(level: .error)).credentials
        #expect(provider.sourceDescription == "credential_process of profile 'helper' (\(script))")
        guard case .temporary(let found) = provider.source, let fetcher = found as? ProcessCredentials else {
            Issue.record("not a credential process: \(provider.sourceDescription)"); return
        }
        #expect(fetcher.arguments == [script, "--role", "pitr archiver", "plain word", "$HOME"])

        // The environment this process would give it: ours, with secrets that must not reach it.
        let ours = ["PATH": "/usr/bin:/bin", "HOME": "/var/lib/postgresql", "AWS_PROFILE": "helper", "TAILTOWN_ENCRYPTION_KEY": "c2VjcmV0",
                    "AWS_SECRET_ACCESS_KEY": "outer-secret", "AWS_SESSION_TOKEN": "outer-token", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "outer-auth",
                    "TAILTOWN_NOTIFY_URL": "https://hooks.example/secret", "PGPASSWORD": "pg-secret"]
        let child = try #require(ProcessCredentials(command: "\"\(script)\" --role 'pitr archiver' plain\\ word $HOME",
                                                    environment: CredentialChain.childEnvironment(ours), origin: "profile 'helper'"))
        let direct = AWSCredentialProvider(source: .temporary(child), cacheFolder: folder + "/cache", log: Log(level: .error))
        let credentials = try direct.credentials()
        #expect(credentials.accessKeyID == "ASIAPROCESS" && credentials.sessionToken == "process-token" && credentials.expiration != nil)
        let environment = try String(contentsOfFile: folder + "/bin dir/environment", encoding: .utf8)
        #expect(environment.contains("HOME=/var/lib/postgresql") && environment.contains("AWS_PROFILE=helper"))
        for secret in ["c2VjcmV0", "outer-secret", "outer-token", "outer-auth", "hooks.example", "pg-secret"] {
            #expect(!environment.contains(secret), "\(secret) reached the credential process")
        }
        #expect(try String(contentsOfFile: folder + "/bin dir/arguments", encoding: .utf8) == "--role\npitr archiver\nplain word\n$HOME\n")
        // The next process reads the cache instead of running the program again.
        _ = try AWSCredentialProvider(source: .temporary(child), cacheFolder: folder + "/cache", log: Log(level: .error)).credentials()
        #expect(try String(contentsOfFile: folder + "/bin dir/runs", encoding: .utf8) == "run\n")

        // A failing program: its status, never its output.
        try "#!/bin/sh\necho '{\"SecretAccessKey\": \"leaked\"}'\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o700)
        let failing = AWSCredentialProvider(source: .temporary(child), cacheFolder: nil, log: Log(level: .error))
        let error = #expect(throws: CredentialError.self) { _ = try failing.credentials() }
        #expect(error?.description.contains("exited with status 3") == true)
        #expect(error?.description.contains("leaked") == false)
        #expect(ProcessCredentials(command: "helper 'unterminated", environment: [:], origin: "p") == nil)
    }
}
