import Foundation
import Testing
import PITRStorage
import TestSupport

extension PostgreSQLIntegration {
    /// A cluster archiving to S3 as a workload identity would (EKS IRSA): credentials from moto's STS
    /// (AssumeRoleWithWebIdentity), cached across the wal-push and wal-fetch processes, refreshed when S3 says they
    /// expired, and reported with the statuses PostgreSQL acts on when fresh ones are refused too.
    @Suite
    struct S3Credentials {
        /// On the oldest and the newest supported major.
        @Test("wal-push and wal-fetch with web identity credentials: STS once for every process, then refreshed once when expired",
              arguments: [PostgreSQL.supportedMajors.first ?? PostgreSQL.defaultMajor, PostgreSQL.supportedMajors.last ?? PostgreSQL.defaultMajor])
        func webIdentity(major: Int) throws {
            let sandbox = try Sandbox()
            // A proxy in front of moto's S3 and another in front of its STS, whose logs show every request.
            let proxy = try FaultProxy(upstream: try S3Services.moto.get())
            let stsProxy = try FaultProxy(upstream: try S3Services.moto.get())
            defer { proxy.stop(); stsProxy.stop() }
            let storage = try S3Services.makeBucket("it-webid", prefix: "pg")
            let token = try sandbox.writeFile("web-identity-token", "eyJhbGciOiJSUzI1NiJ9.irsa-token-must-not-show\n", mode: 0o600)
            let role = "arn:aws:iam::123456789012:role/pitr-archiver"
            let tailtown = try S3Services.configure(in: sandbox, storage: storage, endpoint: proxy.endpoint, compression: "lz4", encrypted: true,
                                                    staticKeys: false, extra: [
                "AWS_WEB_IDENTITY_TOKEN_FILE=\(token)", "AWS_ROLE_ARN=\(role)", "AWS_ENDPOINT_URL_STS=\(stsProxy.endpoint)",
                "TAILTOWN_PUSH_AHEAD=0", "TAILTOWN_PREFETCH=0",
            ])
            let config = try sandbox.tailtown(["--config", tailtown.configFile, "config"])
            #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
            #expect(config.stdout.contains("credentials: web identity (role \(role), token file \(token) from AWS_WEB_IDENTITY_TOKEN_FILE, via STS at \(stsProxy.endpoint))"),
                    "\(config.stdout)")
            #expect(!config.stdout.contains("irsa-token-must-not-show"))

            let archived = try ArchivedCluster.make(in: sandbox, tailtown: tailtown, major: major)
            defer { try? archived.stop() }
            for _ in 1...2 {
                _ = try archived.cluster.query("insert into filler select g, md5(g::text) from generate_series(1, 1000) g")
                try archived.cluster.waitUntilArchived(try archived.cluster.switchWAL())
            }
            let s3 = try proxy.log()
            let sts = try stsProxy.log()
            let pushed = try S3Services.segmentNames(storage).count
            print("web identity: \(pushed) segments archived with \(sts.count) STS request(s) and \(s3.count) S3 requests")
            #expect(pushed >= 3)
            #expect(sts.count == 1 && sts.first?.key == "", "one AssumeRoleWithWebIdentity (unsigned); every later process reads the cache")
            let keys = Set(s3.map(\.key))
            #expect(keys.count == 1 && keys.first?.hasPrefix("ASIA") == true, "\(keys)")

            let destination = archived.cluster.dataDirectory + "/pg_wal/RECOVERYXLOG"
            let fetched = try tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            #expect(fetched.status == 0, "\(fetched.stderr)")
            #expect(try contents(of: destination) == contents(of: archived.walFile))
            #expect(try proxy.log().allSatisfy { $0.key == keys.first }, "wal-fetch signs with the cached credentials")

            // S3 says the token expired: fetched anew once, and the request succeeds.
            try FileManager.default.removeItem(atPath: destination)
            proxy.queue(["expired"])
            let refreshed = try tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            #expect(refreshed.status == 0, "\(refreshed.stderr)")
            #expect(refreshed.stderr.contains("ExpiredToken") && refreshed.stderr.contains("fetching new ones"), "\(refreshed.stderr)")
            #expect(try stsProxy.log().count == 1)

            // Refused again with fresh credentials: wal-fetch stops recovery (200), wal-push fails the segment (1), both saying why.
            try FileManager.default.removeItem(atPath: destination)
            proxy.queue(["expired", "expired"])
            let failedFetch = try tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            #expect(failedFetch.status == 200, "\(failedFetch.stderr)")
            #expect(failedFetch.stderr.contains("refused (ExpiredToken) with credentials from web identity (role \(role)"), "\(failedFetch.stderr)")
            #expect(!FileManager.default.fileExists(atPath: destination))
            proxy.queue(["expired", "expired"])
            let failedPush = try tailtown.push(archived.walFile, in: archived.cluster.dataDirectory)
            #expect(failedPush.status == 1, "\(failedPush.stderr)")
            #expect(failedPush.stderr.contains("ExpiredToken"), "\(failedPush.stderr)")
            for output in [config.stdout, refreshed.stderr, failedFetch.stderr, failedPush.stderr] {
                #expect(!output.contains("irsa-token-must-not-show"))
            }
        }
    }
}
