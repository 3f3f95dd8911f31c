import Foundation
import Testing
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRWAL

/// Reads clusters made by the real initdb of PostgreSQL 15, run as the unprivileged `postgres` user because
/// PostgreSQL refuses to run as root. initdb writes the first WAL segment, so no server is started.
@Suite struct RealClusterTests {
    /// PostgreSQL 15's bin folder, found where the integration harness finds it (scripts/postgresql-bin.sh 15).
    /// Missing, the tests fail with that script's message: they never skip.
    static func bindir() throws -> String {
        try bindirAnswer.get()
    }

    private static let bindirAnswer = Result<String, any Error> {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        return try run([packageRoot + "/scripts/postgresql-bin.sh", "15"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func defaultSegmentSize() throws {
        try checkCluster(walSegmentMegabytes: nil, expected: .standard)
    }

    @Test func sixtyFourMiBSegments() throws {
        try checkCluster(walSegmentMegabytes: 64, expected: try WALSegmentSize(megabytes: 64))
    }

    private func checkCluster(walSegmentMegabytes: Int?, expected size: WALSegmentSize) throws {
        let bindir = try Self.bindir()
        let cluster = try Cluster(bindir: bindir, walSegmentMegabytes: walSegmentMegabytes)
        defer { cluster.remove() }

        // The identity agrees with PostgreSQL's own pg_controldata.
        let identity = try ClusterIdentity.read(dataDirectory: cluster.dataDirectory)
        let serverMajor = try #require(Int(try Self.run([bindir + "/postgres", "--version"])
            .split(separator: " ").last?.split(separator: ".").first ?? ""))
        #expect(identity.majorVersion == serverMajor)
        #expect(try cluster.controlData("Database system identifier") == String(identity.systemIdentifier))
        #expect(identity.archiveID == "\(serverMajor)-\(identity.systemIdentifier)")
        let control = try PGControl.read(dataDirectory: cluster.dataDirectory)
        #expect(try cluster.controlData("pg_control version number") == String(control.controlVersion))
        #expect(try cluster.controlData("Catalog version number") == String(control.catalogVersion))
        #expect(try cluster.controlData("Bytes per WAL segment") == String(size.bytes))

        // The first segment passes, and its magic is the one recorded for this major version.
        let (path, name) = try cluster.firstSegment()
        #expect(try WALPageHeader.validateSegment(try SystemFile.openForReading(path), as: name, cluster: identity) == size)
        let header = try WALPageHeader(reading: try SystemFile.openForReading(path))
        #expect(header.magic == PostgreSQLMajor.pageMagic(of: identity.majorVersion))
        #expect(header.timeline == TimelineID(1))
        #expect(header.pageAddress == name.startLSN(size))
        // The name parses with the size read from the header.
        #expect(try WALSegmentName(parsing: name.fileName, segmentSize: size) == name)

        // Another cluster, another version, or another name is refused.
        let stranger = ClusterIdentity(majorVersion: identity.majorVersion, systemIdentifier: identity.systemIdentifier &+ 1)
        #expect(throws: WALError.systemIdentifierMismatch(file: path, fileSystem: identity.systemIdentifier, clusterSystem: stranger.systemIdentifier)) {
            try WALPageHeader.validateSegment(try SystemFile.openForReading(path), as: name, cluster: stranger)
        }
        let otherVersion = ClusterIdentity(majorVersion: identity.majorVersion == 16 ? 15 : 16, systemIdentifier: identity.systemIdentifier)
        #expect(throws: WALError.pageMagicMismatch(file: path, fileVersion: identity.majorVersion, clusterVersion: otherVersion.majorVersion)) {
            try WALPageHeader.validateSegment(try SystemFile.openForReading(path), as: name, cluster: otherVersion)
        }
        #expect(throws: WALError.pageAddressMismatch(file: path, found: name.startLSN(size), expected: name.next(size).startLSN(size))) {
            try WALPageHeader.validateSegment(try SystemFile.openForReading(path), as: name.next(size), cluster: identity)
        }
        let laterTimeline = WALSegmentName(timeline: TimelineID(2), high: name.high, low: name.low)
        #expect(try WALPageHeader.validateSegment(try SystemFile.openForReading(path), as: laterTimeline, cluster: identity) == size)

        // A truncated copy is refused for its size.
        let truncated = cluster.folder + "/" + name.fileName + ".partial"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(1 << 20).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: WALError.fileSizeMismatch(file: truncated, fileBytes: 1 << 20, segmentSize: size)) {
            try WALPageHeader.validateSegment(try SystemFile.openForReading(truncated), as: name, cluster: identity)
        }
    }

    /// A data directory made by initdb in a fresh folder under /tmp, removed by `remove()`.
    struct Cluster {
        let bindir: String
        let folder: String
        var dataDirectory: String { folder + "/data" }

        init(bindir: String, walSegmentMegabytes: Int?) throws {
            self.bindir = bindir
            folder = "/tmp/tailtown-wal-test-\(getpid())-\(walSegmentMegabytes ?? 16)"
            try? FileManager.default.removeItem(atPath: folder)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            do {
                var initdb = [bindir + "/initdb", "-D", dataDirectory, "--no-sync", "-A", "trust", "-U", "postgres"]
                if let walSegmentMegabytes { initdb.append("--wal-segsize=\(walSegmentMegabytes)") }
                if getuid() == 0 {
                    _ = try RealClusterTests.run(["chown", "postgres:postgres", folder])
                    initdb = ["runuser", "-u", "postgres", "--"] + initdb
                }
                _ = try RealClusterTests.run(initdb)
            } catch {
                remove()
                throw error
            }
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }

        /// The one segment initdb leaves in pg_wal.
        func firstSegment() throws -> (path: String, name: WALSegmentName) {
            let names = try FileSystem.list(dataDirectory + "/pg_wal").compactMap { try? WALSegmentName(parsing: $0) }
            #expect(names.count == 1)
            let name = try #require(names.first)
            return (dataDirectory + "/pg_wal/" + name.fileName, name)
        }

        /// The value of one pg_controldata line, such as "Database system identifier".
        func controlData(_ field: String) throws -> String? {
            let output = try RealClusterTests.run([bindir + "/pg_controldata", dataDirectory])
            let line = output.split(separator: "\n").first { $0.hasPrefix(field + ":") }
            return line.map { $0.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces) }
        }
    }

    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandFailed(command: arguments.joined(separator: " "), output: text)
        }
        return text
    }

    struct CommandFailed: Error, CustomStringConvertible {
        let command: String
        let output: String
        var description: String { "\(command) failed: \(output)" }
    }
}
