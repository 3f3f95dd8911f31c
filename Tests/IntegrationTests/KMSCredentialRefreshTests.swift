import Foundation
import Testing
import TestSupport

extension PostgreSQLIntegration {
    /// A key wrapped by KMS with temporary credentials (web identity through moto's STS): KMS saying the token expired
    /// gets fresh credentials once, as S3 does; refused again, the command says so naming the source.
    @Suite struct KMSCredentialRefresh {
        @Test func anExpiredTokenIsRefreshedOnceForKMS() throws {
            let sandbox = try Sandbox()
            let kmsProxy = try FaultProxy(upstream: try MotoServer.endpoint())
            let stsProxy = try FaultProxy(upstream: try MotoServer.endpoint())
            defer { kmsProxy.stop(); stsProxy.stop() }
            let token = try sandbox.writeFile("web-identity-token", "eyJhbGciOiJSUzI1NiJ9.kms-token-must-not-show\n", mode: 0o600)
            let role = "arn:aws:iam::123456789012:role/pitr-keys"
            let passphrase = try sandbox.writeFile("passphrase", "an offline passphrase\n")
            let config = try sandbox.writeFile("tailtown-pitr.conf", [
                "TAILTOWN_REPO=file://\(sandbox.path("repo"))", "AWS_REGION=us-east-1",
                "AWS_WEB_IDENTITY_TOKEN_FILE=\(token)", "AWS_ROLE_ARN=\(role)", "AWS_ENDPOINT_URL_STS=\(stsProxy.endpoint)",
                "TAILTOWN_CACHE_DIR=\(sandbox.cacheFolder)", "TAILTOWN_KMS_KEY_ID=\(try MotoServer.createKMSKey())",
                "TAILTOWN_KMS_ENDPOINT=\(kmsProxy.endpoint)", "TAILTOWN_KMS_CACHE_SECONDS=0",
                "TAILTOWN_KEY_PASSPHRASE_FILE=\(passphrase)",
            ].joined(separator: "\n") + "\n")

            // keygen's Encrypt is told the token expired: one more STS request, and the Encrypt and Decrypt succeed.
            kmsProxy.queue(["expired"])
            let refreshed = try sandbox.tailtown(["--config", config, "keygen", sandbox.path("first.key")])
            #expect(refreshed.status == 0, "\(refreshed.stderr)")
            #expect(refreshed.stderr.contains("AWS refused the credentials from web identity (role \(role)") && refreshed.stderr.contains("(ExpiredToken): fetching new ones"),
                    "\(refreshed.stderr)")
            #expect(try kmsProxy.log().map { "\($0.target) \($0.status)" } == ["TrentService.Encrypt 0", "TrentService.Encrypt 200", "TrentService.Decrypt 200"])
            #expect(try stsProxy.log().count == 2, "the first credentials, then the fresh ones")

            // Refused again with the fresh ones: a clear error naming the request and the source, and no key file.
            kmsProxy.queue(["expired", "expired"])
            let refused = try sandbox.tailtown(["--config", config, "keygen", sandbox.path("second.key")])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("KMS Encrypt with key") && refused.stderr.contains("was refused (ExpiredToken) with credentials from web identity (role \(role)")
                    && refused.stderr.contains("and again with fresh ones"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: sandbox.path("second.key")))
            #expect(!(refreshed.stderr + refused.stderr).contains("kms-token-must-not-show"))
        }
    }
}
