import Foundation
import Testing
@testable import PITRArchive
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

/// wal-push and wal-fetch (the archive domain) on an S3 repository behave as on file://:
/// stored once, duplicate push succeeds, conflicting push fails, fetch returns the bytes,
/// a missing file is "not found". The segment is initdb's own, 32 MiB, so an unencrypted
/// uncompressed push goes through multipart upload.
@Suite("wal-push and wal-fetch on s3://", .serialized)
struct S3ArchiveTests {
    @Test(arguments: [(Compression.lz4, true), (Compression.none, false), (Compression.zstd, true)])
    func pushFetchDuplicateConflict(compression: Compression, encrypted: Bool) throws {
        let cluster = try RealClusterTests.Cluster(bindir: try RealClusterTests.bindir(), walSegmentMegabytes: 32)
        defer { cluster.remove() }
        let key: MasterKey? = encrypted ? MasterKey(bytes: Array(repeating: 7, count: 32)) : nil
        let storage = try S3TestRepository.make("archive", prefix: "pg/main", partSize: S3Configuration.minimumPartSize)
        let repository = Repository(storage: storage, key: key)
        let log = Log(level: .error)
        let push = WALPush(repository: repository, options: ObjectOptions(compression: compression, key: key), log: log)
        let fetch = WALFetch(repository: repository, log: log)

        let (path, name) = try cluster.firstSegment()
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try push.push(path: path) == .stored(originalBytes: original.count))
        #expect(try push.push(path: path) == .alreadyArchived)
        #expect(try S3TestRepository.pendingUploads(storage) == 0)

        let destination = cluster.dataDirectory + "/pg_wal/RECOVERYXLOG"
        #expect(try fetch.fetch(name: name.fileName, to: destination) == .fetched(originalBytes: original.count))
        let fetched = try Data(contentsOf: URL(fileURLWithPath: destination))
        #expect(fetched == original)
        let next = WALSegmentName(timeline: name.timeline, high: name.high, low: name.low + 1)
        #expect(try fetch.fetch(name: next.fileName, to: destination + "2") == .notFound)
        #expect(!FileManager.default.fileExists(atPath: destination + "2"))

        // Different bytes under the archived name: refused, the archived object unchanged.
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try file.seek(toOffset: 1 << 20)
        file.write(Data([0x5A]))
        try file.close()
        let conflict = #expect(throws: ArchiveError.self) { _ = try push.push(path: path) }
        guard case .differentContent = conflict else { Issue.record("got \(String(describing: conflict))"); return }
        #expect(try fetch.fetch(name: name.fileName, to: destination) == .fetched(originalBytes: original.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: destination)) == original)
        let listed = try storage.list(prefix: "wal/")
        #expect(listed.filter { $0.hasSuffix(name.fileName) }.count == 1, "\(listed)")
    }

    /// A push in steady state, in a new process (a new repository connection): the GET of `archive.info` and the
    /// conditional PUT, no HEAD first. A push of a name already archived learns it from the PUT (412), then reads the
    /// stored trailer.
    @Test func aPushInSteadyStateMakesNoHead() throws {
        let fake = try FakeDataDirectory()
        let storage = try S3TestRepository.make("requests", prefix: "pg")
        let key = MasterKey(bytes: Array(repeating: 9, count: 32))
        func push(_ number: UInt64) throws -> (WALPush.Outcome, RequestCounts) {
            let connection = try S3Storage(configuration: storage.configuration, log: Log(level: .error))
            let repository = Repository(storage: connection, key: key)
            let push = WALPush(repository: repository, options: ObjectOptions(compression: .lz4, key: key), log: Log(level: .error))
            let outcome = try push.push(path: fake.wal + "/" + fake.name(number).fileName)
            return (outcome, connection.requests ?? RequestCounts())
        }
        try fake.makeSegment(1)
        try fake.makeSegment(2)
        _ = try push(1)
        let (outcome, requests) = try push(2)
        #expect(outcome == .stored(originalBytes: 1 << 20))
        #expect(requests.reads == 1 && requests.writes == 1 && requests.deletes == 0, "\(requests)")
        let (again, requestsAgain) = try push(2)
        #expect(again == .alreadyArchived)
        #expect(requestsAgain.writes == 1 && requestsAgain.deletes == 0, "\(requestsAgain)")
    }
}
