import Foundation
import Testing
@testable import PITRRestore
@testable import PITRSupport
import TestSupport

/// The data directory's owner plays the attacker while root extracts into it: symlinks to a root-owned
/// canary (a folder 0755 holding a root-only file, and a root-only file) planted at every name the
/// archive creates, and a process running as postgres that keeps swapping them in. Whatever the
/// extraction's outcome, nothing outside the target changes and no root-only byte reaches the target.
@Suite(.enabled(if: getuid() == 0 && getpwnam("postgres") != nil, "needs root and a postgres account"))
struct SteeredExtractionTests {
    static var postgres: FileOwner { get throws { try FileOwner(name: "postgres") } }

    /// A folder for postgres to write in (as a data directory is), inside a root-owned test folder.
    static func ownedByPostgres(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o700)
        chown(path, try postgres.uid, try postgres.gid)
    }

    /// Folders (ending in "/") and files of the archive, in order.
    static let entries = ["global/", "global/pg_control", "base/", "base/1/", "base/1/1259", "base/1/PG_VERSION",
                          "pg_wal/", "pg_wal/archive_status/", "PG_VERSION", "postgresql.auto.conf", "backup_label"]

    static func archive() -> [UInt8] {
        var tar = TarFixture()
        for entry in entries {
            if entry.hasSuffix("/") { tar.directory(String(entry.dropLast()), mode: 0o700) } else { tar.file(entry, Array("data of \(entry)\n".utf8)) }
        }
        tar.end()
        return tar.bytes
    }

    @Test func aSymlinkPlantedAtAnyNameIsRefusedAndTheCanaryUntouched() throws {
        let canary = try Canary()
        let before = canary.snapshot()
        let folder = try RestoreTestFolder()
        let owner = try FileOwner(name: "postgres")
        for (index, entry) in Self.entries.enumerated() {
            for destination in [canary.folder, canary.file] {
                let data = folder.path + "/\(index)-\(destination == canary.file ? "file" : "folder")"
                try Self.ownedByPostgres(data)
                let name = entry.hasSuffix("/") ? String(entry.dropLast()) : entry
                // The parents as the extraction would leave them, the entry itself a symlink.
                var parent = data
                for component in name.split(separator: "/").dropLast() {
                    parent += "/\(component)"
                    try Self.ownedByPostgres(parent)
                }
                try FileManager.default.createSymbolicLink(atPath: data + "/" + name, withDestinationPath: destination)
                lchown(data + "/" + name, try Self.postgres.uid, try Self.postgres.gid)
                let extractor = TarExtractor(archive: "base.tar", root: try OpenDirectory.open(data), owner: owner)
                #expect(throws: (any Error).self, "a symlink at \(name) to \(destination)") { try extractor.extract(Self.archive(), step: 4096) }
            }
        }
        #expect(canary.snapshot() == before)
        #expect(canary.filesHoldingTheSecret(below: folder.path) == [])
    }

    /// The swapper runs in lockstep with the extraction, so that it acts at every point, not when timing lets it:
    /// after each 512-byte block fed to the extractor, it replaces one name of the archive (a folder moved away, a
    /// file removed) by a symlink to the canary, once the extraction made it. One round per name.
    @Test func aSwapperBetweenEveryBlockChangesNothingOutsideTheTarget() throws {
        let canary = try Canary()
        let before = canary.snapshot()
        let folder = try RestoreTestFolder()
        let data = folder.path + "/data"
        try Self.ownedByPostgres(data)
        let requests = folder.path + "/requests", replies = folder.path + "/replies"
        #expect(mkfifo(requests, 0o644) == 0 && mkfifo(replies, 0o622) == 0)
        chmod(replies, 0o622)
        let script = """
            cd '\(data)' || exit 1
            exec 3<'\(requests)' 4>'\(replies)'
            while read -r path <&3; do
              [ "$path" = stop ] && break
              if [ -L "$path" ]; then :
              elif [ -d "$path" ]; then mv "$path" "$path.moved" && ln -s '\(canary.folder)' "$path"
              elif [ -e "$path" ]; then rm -f "$path" && ln -s '\(canary.file)' "$path"
              fi 2>/dev/null
              echo done >&4
            done
            """
        let swapper = Process()
        swapper.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        swapper.arguments = ["-u", "postgres", "--", "/bin/sh", "-c", script]
        try swapper.run()
        let ask = open(requests, O_WRONLY | O_CLOEXEC), answer = open(replies, O_RDONLY | O_CLOEXEC)
        defer {
            _ = write(ask, "stop\n", 5)
            close(ask)
            close(answer)
            swapper.waitUntilExit()
        }
        /// One pass of the swapper over `path`, waited for.
        func swap(_ path: String) throws {
            let line = Array((path + "\n").utf8)
            #expect(line.withUnsafeBytes { write(ask, $0.baseAddress, $0.count) } == line.count)
            var byte: UInt8 = 0
            while read(answer, &byte, 1) == 1, byte != UInt8(ascii: "\n") {}
        }
        let owner = try FileOwner(name: "postgres")
        let bytes = Self.archive()
        var refused = 0
        for (round, entry) in Self.entries.enumerated() {
            let target = "round-\(round)"
            try Self.ownedByPostgres(data + "/" + target)
            let name = target + "/" + (entry.hasSuffix("/") ? String(entry.dropLast()) : entry)
            do {
                let extractor = TarExtractor(archive: "base.tar", root: try OpenDirectory.open(data + "/" + target), owner: owner)
                for offset in stride(from: 0, to: bytes.count, by: 512) {
                    try bytes[offset..<offset + 512].withUnsafeBytes { try extractor.write($0) }
                    try swap(name)
                }
                try extractor.finish()
                try extractor.sync()
            } catch {
                refused += 1
            }
        }
        // Each round met its symlink (under a folder, or at the sync that reopens every file) and stopped there.
        #expect(refused == Self.entries.count)
        #expect(canary.snapshot() == before)
        #expect(canary.filesHoldingTheSecret(below: folder.path) == [])
    }
}
