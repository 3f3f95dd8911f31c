import Foundation
import Testing
@testable import PITRArchive
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRStorage
@testable import PITRSupport
@testable import PITRWAL

/// Reading through both repositories (a restore with TAILTOWN_REPO2): a segment that a restore stages before recovery,
/// and a timeline's history file, that fail their checks in the first are read from the second's copy.
@Suite struct SecondCopyDownloadTests {
    let log = Log(level: .error)
    let key = MasterKey(bytes: Array(repeating: 5, count: 32))!

    @Test func aDamagedSegmentOrHistoryFileIsReadFromTheSecond() throws {
        let fake = try FakeDataDirectory()
        let first = fake.repository(key: key)
        let push = WALPush(repository: first, options: ObjectOptions(compression: .lz4, key: key), log: log)
        let segmentPath = try fake.makeSegment(1)
        _ = try push.push(path: segmentPath)
        let historyPath = fake.wal + "/00000002.history"
        try fake.write(historyPath, Array("1\t0/100028\tno recovery target specified\n".utf8))
        _ = try push.push(path: historyPath)

        let secondRoot = fake.root + "/second"
        try FileManager.default.copyItem(atPath: fake.repositoryRoot, toPath: secondRoot)
        let archive = WALArchive(repository: first, identity: fake.identity)
        for file in [WALFileName.segment(fake.name(1)), .history(TimelineID(2))] {
            let path = fake.repositoryRoot + "/" + archive.key(for: file)
            var bytes = try FileSystem.readFile(path)
            bytes[bytes.count / 2] ^= 0xFF
            try fake.write(path, bytes)
        }

        // The first alone refuses both.
        #expect(throws: ObjectFormatError.self) {
            _ = try ArchivedFileDownload(repository: first, identity: fake.identity).download(.segment(fake.name(1)), to: fake.root + "/alone")
        }
        #expect(throws: ObjectFormatError.self) { _ = try archive.history(of: TimelineID(2)) }
        #expect(!FileSystem.exists(fake.root + "/alone"))

        // Through both, each comes whole from the second's copy.
        let both = Repository(storage: FallbackStorage(first: first.storage, second: FileStorage(root: secondRoot), log: log), key: key)
        let fetched = fake.root + "/fetched"
        let trailer = try ArchivedFileDownload(repository: both, identity: fake.identity).download(.segment(fake.name(1)), to: fetched)
        #expect(trailer?.originalSize == 1 << 20)
        #expect(try FileSystem.readFile(fetched) == FileSystem.readFile(segmentPath))
        let history = try #require(try WALArchive(repository: both, identity: fake.identity).history(of: TimelineID(2)))
        #expect(history.lineage == [TimelineID(2), TimelineID(1)] || history.lineage == [TimelineID(1), TimelineID(2)], "\(history.lineage)")
    }
}
