import Foundation
import PITRConfig
import PITRPipeline
import PITRSupport
import Testing
import TestSupport

extension PostgreSQLIntegration {
    /// A key file holding its key wrapped by moto's KMS and by a passphrase, used by PostgreSQL's own archive_command
    /// and by wal-fetch as postgres: KMS is asked once and the kernel keyring serves the next processes until the
    /// cache expires; with KMS unreachable the passphrase unwraps; and no key reaches a file, a log or an error.
    @Suite struct KMSWrappedKey {
        static let passphrase = "an offline passphrase, kept in a safe"

        @Test func walPushAndFetchWithAKeyWrappedByKMS() throws {
            let sandbox = try Sandbox()
            let proxy = try FaultProxy(upstream: try MotoServer.endpoint())
            let kmsKey = try MotoServer.createKMSKey()
            let passphraseFile = try sandbox.writeFile("passphrase", Self.passphrase + "\n")
            let keyFile = sandbox.path("tailtown.key")
            let repository = Repository(root: try sandbox.makeDirectory("repo"))
            let common = [
                "TAILTOWN_REPO=\(repository.url)", "TAILTOWN_PUSH_AHEAD=0", "TAILTOWN_PREFETCH=0",
                "AWS_ACCESS_KEY_ID=AKIDINTEGRATION", "AWS_SECRET_ACCESS_KEY=integration-secret-key", "AWS_REGION=us-east-1",
                "TAILTOWN_KMS_KEY_ID=\(kmsKey)", "TAILTOWN_KMS_ENDPOINT=\(proxy.endpoint)",
                "TAILTOWN_KEY_PASSPHRASE_FILE=\(passphraseFile)", "TAILTOWN_ENCRYPTION_KEY_FILE=\(keyFile)",
            ]
            let config = try sandbox.writeFile("tailtown-pitr.conf", (common + ["TAILTOWN_KMS_CACHE_SECONDS=3", "TAILTOWN_LOG_LEVEL=debug"]).joined(separator: "\n") + "\n")
            let tailtown = Tailtown(sandbox: sandbox, configFile: config, repository: repository)
            var outputs: [String] = []

            // keygen writes the key wrapped only, after one Encrypt and the Decrypt that checks it.
            let keygen = try sandbox.tailtown(["--config", config, "keygen", keyFile])
            outputs += [keygen.stdout, keygen.stderr]
            #expect(keygen.status == 0, "\(keygen.stderr)")
            #expect(keygen.stdout.contains("held only wrapped (by KMS and a second wrapping)"))
            let keyText = try String(contentsOfFile: keyFile, encoding: .utf8)
            let keyLines = keyText.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(keyLines.count == 1 && keyLines[0].hasPrefix("active ") && keyLines[0].contains(" wrapped:kms=")
                    && keyLines[0].contains(";passphrase=") && !keyText.contains("base64:"))
            #expect(try proxy.log().map(\.target) == ["TrentService.Encrypt", "TrentService.Decrypt"])
            // The key itself, unwrapped here, for the checks that it is nowhere in plain.
            // (From the environment: the config file belongs to postgres, and root may read only its own or root's.)
            let environment = Dictionary(uniqueKeysWithValues: common.map { line in
                let parts = line.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), String(parts[1]))
            })
            let settings = try Settings.load(flags: [:], environment: environment.merging(["TAILTOWN_KMS_CACHE_SECONDS": "0"]) { $1 },
                                             defaultFile: "/nonexistent")
            let key = try #require(try settings.keyring(home: nil, log: Log(level: .error))?.active)
            _ = try proxy.log()

            // PostgreSQL archives several segments, one wal-push process each: KMS is asked once.
            let archived = try ArchivedCluster.make(in: sandbox, tailtown: tailtown)
            for round in 0..<2 {
                _ = try archived.cluster.query("insert into filler values (\(-round), 'more')")
                try archived.cluster.waitUntilArchived(try archived.cluster.switchWAL())
            }
            let segments = try repository.segments(systemIdentifier: archived.systemIdentifier, segmentSizeMB: 16)
            #expect(segments.count >= 3)
            let pushes = try proxy.log()
            #expect(pushes.map(\.target) == ["TrentService.Decrypt"], "\(pushes.map { "\($0.target) \($0.status)" }) \(archived.cluster.logTail(lines: 200))")

            // wal-fetch while the key is cached: no KMS request.
            let destination = try sandbox.makeDirectory("fetched") + "/RECOVERYXLOG"
            let cached = try tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            outputs.append(cached.stderr)
            #expect(cached.status == 0, "\(cached.stderr)")
            #expect(try contents(of: destination) == contents(of: archived.walFile))
            #expect(try proxy.log().isEmpty)

            // After the cache's 3 seconds, the next process asks KMS again.
            usleep(3_500_000)
            try FileManager.default.removeItem(atPath: destination)
            let expired = try tailtown.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            outputs.append(expired.stderr)
            #expect(expired.status == 0, "\(expired.stderr)")
            let afterExpiry = try proxy.log()
            #expect(afterExpiry.map(\.target) == ["TrentService.Decrypt"], "\(afterExpiry.map { "\($0.target) \($0.status)" })")

            // KMS unreachable (the proxy stopped) and no cache: the passphrase unwraps, with a warning naming the failure.
            proxy.stop()
            let noCache = try tailtown.adding(["TAILTOWN_KMS_CACHE_SECONDS=0"], as: "no-cache.conf")
            try FileManager.default.removeItem(atPath: destination)
            let down = try noCache.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            outputs.append(down.stderr)
            #expect(down.status == 0, "\(down.stderr)")
            #expect(try contents(of: destination) == contents(of: archived.walFile))
            #expect(down.stderr.contains("was unwrapped with the passphrase (TAILTOWN_KEY_PASSPHRASE_FILE) because KMS could not: cannot reach KMS Decrypt"),
                    "\(down.stderr)")

            // Neither way: wal-fetch stops recovery (200) naming the key file, the line, the key and the KMS request.
            let neither = try noCache.adding(["TAILTOWN_KEY_PASSPHRASE_FILE="], as: "neither.conf")
            try FileManager.default.removeItem(atPath: destination)
            let failed = try neither.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            outputs.append(failed.stderr)
            #expect(failed.status == 200)
            #expect(failed.stderr.contains("TAILTOWN_ENCRYPTION_KEY_FILE='\(keyFile)' (from \(neither.configFile) line 10): the key file holds key \(key.keyIDHex) "
                + "wrapped on line 2, which cannot be unwrapped: cannot reach KMS Decrypt with key \(kmsKey) at \(proxy.endpoint)"), "\(failed.stderr)")
            #expect(!FileManager.default.fileExists(atPath: destination))

            // A changed wrapping fails clearly; the archiver's log, the outputs and the files hold no key and no passphrase.
            let tampered = sandbox.path("tampered.key")
            try FileManager.default.copyItem(atPath: keyFile, toPath: tampered)
            var text = try String(contentsOfFile: tampered, encoding: .utf8)
            // A character in the middle of the passphrase wrapping: its wrapped key, past the salt and nonce.
            let at = text.index(try #require(text.range(of: ";passphrase=")).upperBound, offsetBy: 60)
            text.replaceSubrange(at...at, with: text[at] == "A" ? "B" : "A")
            try text.write(toFile: tampered, atomically: false, encoding: .utf8)
            try Sandbox.giveToPostgres(tampered, mode: 0o600)
            let changed = try noCache.adding(["TAILTOWN_ENCRYPTION_KEY_FILE=\(tampered)"], as: "tampered.conf")
            let refused = try changed.fetch(archived.segment, to: destination, in: archived.cluster.dataDirectory)
            outputs.append(refused.stderr)
            #expect(refused.status == 200)
            #expect(refused.stderr.contains("the passphrase wrapping does not open with the passphrase of TAILTOWN_KEY_PASSPHRASE_FILE"), "\(refused.stderr)")

            outputs.append(archived.cluster.logTail())
            for output in outputs {
                #expect(!output.contains(Base64.encode(key.bytes)) && !output.contains(hex(key.bytes)) && !output.contains(Self.passphrase))
            }
            let anywhere = try Command.run("/bin/grep", ["-rlF", Base64.encode(key.bytes), sandbox.root])
            #expect(anywhere.stdout.isEmpty, "the plain key is in \(anywhere.stdout)")
            try archived.stop()
        }
    }
}
