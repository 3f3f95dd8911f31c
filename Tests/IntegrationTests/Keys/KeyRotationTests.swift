import Foundation
import Testing

extension PostgreSQLIntegration {
    /// Key rotation on a real cluster (docs/operations.md, "Key rotation"): a backup and WAL under the first key,
    /// `keygen --rotate`, `keygen --activate`, more WAL under the second key; restore reads both, a key file without
    /// the first key is refused naming the key it needs, and verify counts objects per key.
    @Suite struct KeyRotationTests {
        /// The key id in the header of the object at `path` (bytes 8 to 16).
        static func keyID(ofObject path: String) throws -> String {
            let bytes = [UInt8](try contents(of: path).prefix(16))
            return bytes[8..<16].map { String(format: "%02x", $0) }.joined()
        }

        @Test func archiveRotateActivateAndReadBoth() throws {
            let source = try RestoreSource.onFile()
            let sandbox = source.sandbox, tailtown = source.tailtown
            let keyFile = sandbox.path("tailtown.key")
            let systemIdentifier = try source.cluster.systemIdentifier()
            try source.commitRows(2)
            try source.backup()
            try source.commitRows(2)
            try source.archiveAll()
            let first = try #require(try String(contentsOfFile: keyFile, encoding: .utf8).split(separator: "\n")
                .first { $0.hasPrefix("active ") }?.split(separator: " ")[1]).description
            let before = try tailtown.repository.segments(systemIdentifier: systemIdentifier, segmentSizeMB: 16)

            // Rotate: the new key is pending; pushes go on with the first key.
            let rotated = try sandbox.tailtown(["keygen", "--rotate", keyFile]).check()
            let second = try #require(rotated.split(separator: " ").dropFirst().first).description
            #expect(rotated.hasPrefix("key \(second) added as pending") && second != first, "\(rotated)")
            #expect(!rotated.contains("base64:"))
            let again = try sandbox.tailtown(["keygen", "--rotate", keyFile])
            #expect(again.status == 1 && again.stderr.contains("has pending key \(second) already"), "\(again.stderr)")
            // A host given only the new key (the copy made wrongly): as the pending line, made active.
            let lines = try String(contentsOfFile: keyFile, encoding: .utf8).split(separator: "\n")
            let pendingLine = try #require(lines.first { $0.hasPrefix("pending ") })
            let onlyNew = try sandbox.writeFile("only-new.key", "active" + pendingLine.dropFirst("pending".count) + "\n")
            let onlyNewConfig = try tailtown.adding(["TAILTOWN_ENCRYPTION_KEY_FILE=\(onlyNew)"], as: "only-new.conf")

            // Activate: what is archived from now on is encrypted with the second key.
            let activated = try sandbox.tailtown(["keygen", "--activate", second, keyFile]).check()
            #expect(activated.contains("key \(second) is active"), "\(activated)")
            try source.commitRows(2)
            try source.archiveAll()
            let after = try tailtown.repository.segments(systemIdentifier: systemIdentifier, segmentSizeMB: 16).filter { !before.contains($0) }
            #expect(!before.isEmpty && !after.isEmpty)
            for segment in before {
                #expect(try Self.keyID(ofObject: tailtown.repository.segmentObject(segment.name, systemIdentifier: systemIdentifier)) == first)
            }
            for segment in after {
                #expect(try Self.keyID(ofObject: tailtown.repository.segmentObject(segment.name, systemIdentifier: systemIdentifier)) == second)
            }

            // Restore reads the backup and the WAL of the first key and the WAL of the second.
            try source.cluster.stop()
            try RestoreRun(source: source).expectRows(["--to", "latest"], into: "restored", Array(1...6))

            // Without the first key: refused, naming the key needed (wal-fetch as recovery runs it, in the restored copy).
            let restored = sandbox.path("restored")
            let oldSegment = try #require(before.last).name
            let fetched = try onlyNewConfig.fetch(oldSegment, to: "pg_wal/RECOVERYXLOG", in: restored)
            #expect(fetched.status != 0 && fetched.stderr.contains("was encrypted with key \(first)"), "\(fetched.stderr)")
            #expect(fetched.stderr.contains("add key \(first) to the key file"), "\(fetched.stderr)")
            try onlyNewConfig.fetch(try #require(after.first).name, to: "pg_wal/RECOVERYXLOG", in: restored).check()
            let refused = try sandbox.tailtown(["--config", onlyNewConfig.configFile, "verify"])
            // The backup's descriptor is the first key's: verify reports that backup as one that cannot be used.
            #expect(refused.status == 1 && refused.stdout.contains("cannot be used")
                    && refused.stdout.contains("backup.info was encrypted with key \(first)"),
                    "\(refused.stdout)\(refused.stderr)")

            // verify counts objects per key; the first key is still needed by the backup and its WAL.
            let verified = try sandbox.tailtown(["--config", tailtown.configFile, "verify"])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
            #expect(verified.stdout.contains("objects by key: \(first) (retired) "), "\(verified.stdout)")
            #expect(verified.stdout.contains(", \(second) (active) "), "\(verified.stdout)")
            #expect(!verified.stdout.contains("no longer needed"))
            let json = try JSONSerialization.jsonObject(with: Data(try sandbox.tailtown(["--config", tailtown.configFile, "verify", "--json"]).check().utf8))
            let keys = try #require((json as? [String: Any])?["keys"] as? [[String: Any]])
            #expect(keys.map { $0["id"] as? String } == [first, second])
            // The backup's pieces and descriptor, and the WAL before the activation, are the first key's.
            #expect((keys[0]["objects"] as? Int ?? 0) >= before.count + 2)
            #expect((keys[1]["objects"] as? Int ?? 0) >= after.count)
        }
    }
}
