import Testing
@testable import PITRArchive
@testable import PITRPipeline
@testable import PITRRepository
@testable import PITRRestore
@testable import PITRRetention
@testable import PITRSupport
@testable import PITRWAL

@Suite struct PrefetchTests {
    let log = Log(level: .error)
    let generation = RecoveryGeneration(source: "15-1 file:///repo", runner: "postmaster 10 started 1700000000")

    /// Archives segments 1...n of `fake` (no push-ahead) and returns the staging folder.
    private func archive(_ fake: FakeDataDirectory, through last: UInt64, key: MasterKey? = nil) throws -> StagingFolder {
        for number in 1...last {
            let path = try fake.makeSegment(number)
            _ = try WALPush(repository: fake.repository(key: key), options: ObjectOptions(compression: .zstd, key: key), log: log).push(path: path)
        }
        let staging = StagingFolder(path: OurWALFolder(dataDirectory: fake.dataDirectory).prefetch)
        try staging.claim(for: generation)
        return staging
    }

    private func stage(_ fake: FakeDataDirectory, _ number: UInt64, in staging: StagingFolder, key: MasterKey? = nil,
                       generation: RecoveryGeneration? = nil) throws {
        let segment = fake.name(number)
        let trailer = try ArchivedFileDownload(repository: fake.repository(key: key), identity: fake.identity)
            .download(.segment(segment), to: staging.file(segment)) { verified, checksum in
                try staging.writeSidecar(segment, verified: verified, checksum: checksum, generation: generation ?? self.generation)
            }
        #expect(trailer?.originalSize == 1 << 20)
    }

    @Test func aStagedSegmentIsHandedOverByLinkOnceItChecksOut() throws {
        let fake = try FakeDataDirectory()
        let key = MasterKey(bytes: Array(repeating: 3, count: 32))!
        let staging = try archive(fake, through: 2, key: key)
        try stage(fake, 2, in: staging, key: key)
        #expect(try staging.contents().staged == [fake.name(2)])
        let destination = fake.wal + "/RECOVERYXLOG"
        #expect(staging.take(fake.name(2), to: destination, generations: [generation.text], cluster: fake.identity, log: log))
        #expect(try FileSystem.readFile(destination) == FileSystem.readFile(fake.wal + "/" + fake.name(2).fileName))
        // Handed over, it stays (the prefetcher removes it once the request moves on) and is checked again if asked for again.
        #expect(try staging.contents().staged == [fake.name(2)])
        #expect(staging.take(fake.name(2), to: fake.wal + "/AGAIN", generations: [generation.text], cluster: fake.identity, log: log))
        // A segment without its sidecar (an interrupted removal) is never served.
        try staging.remove(fake.name(2))
        try fake.write(staging.file(fake.name(2)), FileSystem.readFile(destination))
        #expect(try staging.contents() == (staged: [], orphaned: [fake.name(2)]))
        #expect(!staging.take(fake.name(2), to: fake.wal + "/THIRD", generations: [generation.text], cluster: fake.identity, log: log))
    }

    @Test func aCheckAheadStandsForTheHandOverUntilTheFileChanges() throws {
        let fake = try FakeDataDirectory()
        let staging = try archive(fake, through: 3)
        try stage(fake, 2, in: staging)
        try stage(fake, 3, in: staging)
        usleep(60_000)  // the stamp of a file changed in the last 50 ms would not tell a later change
        staging.verifyAhead(fake.name(2), log: log)
        staging.verifyAhead(fake.name(3), log: log)
        // Proof that the hand-over trusts the check ahead: a sidecar checksum spoiled afterwards is not looked at.
        for number: UInt64 in [2, 3] {
            var sidecar = try MetadataText(parsing: FileSystem.readFile(staging.sidecar(fake.name(number))), object: "sidecar")
            sidecar.values = sidecar.values.map { $0.key == "checksum" ? ("checksum", "0000000000000000") : $0 }
            try fake.write(staging.sidecar(fake.name(number)), sidecar.bytes)
        }
        #expect(staging.take(fake.name(2), to: fake.wal + "/RECOVERYXLOG", generations: [generation.text], cluster: fake.identity, log: log))
        // Any write after the check changes the file's stamp: the hand-over checks again, and refuses it.
        let file = staging.file(fake.name(3))
        var bytes = try FileSystem.readFile(file)
        bytes[900_000] ^= 0x01
        let handle = try SystemFile.openForWriting(file)
        try handle.overwrite(bytes)
        #expect(!staging.take(fake.name(3), to: fake.wal + "/SECOND", generations: [generation.text], cluster: fake.identity, log: log))
        #expect(!FileSystem.exists(file))
    }

    @Test func aCheckAheadRemovesADamagedFile() throws {
        let fake = try FakeDataDirectory()
        let staging = try archive(fake, through: 2)
        try stage(fake, 2, in: staging)
        var bytes = try FileSystem.readFile(staging.file(fake.name(2)))
        bytes[5] ^= 0x40
        try fake.write(staging.file(fake.name(2)), bytes)
        usleep(60_000)
        staging.verifyAhead(fake.name(2), log: log)
        #expect(try staging.contents().staged == [])
        #expect(!FileSystem.exists(staging.file(fake.name(2))))
    }

    @Test func aCorruptedStagedSegmentIsRemovedNotServed() throws {
        let fake = try FakeDataDirectory()
        let staging = try archive(fake, through: 2)
        try stage(fake, 2, in: staging)
        let file = try SystemFile.openForReading(staging.file(fake.name(2)))
        var bytes = try FileSystem.readFile(file.path)
        bytes[700_000] ^= 0x10
        try fake.write(file.path, bytes)
        let destination = fake.wal + "/RECOVERYXLOG"
        #expect(!staging.take(fake.name(2), to: destination, generations: [generation.text], cluster: fake.identity, log: log))
        #expect(!FileSystem.exists(destination))
        #expect(try staging.contents().staged == [])
        #expect(!FileSystem.exists(staging.file(fake.name(2))))
    }

    @Test func filesOfAnotherRecoveryAreNeverServed() throws {
        let fake = try FakeDataDirectory()
        let staging = try archive(fake, through: 3)
        let earlier = RecoveryGeneration(source: "15-1 file:///repo", runner: "postmaster 9 started 1600000000")
        try stage(fake, 2, in: staging, generation: earlier)
        #expect(!staging.take(fake.name(2), to: fake.wal + "/RECOVERYXLOG", generations: [generation.text], cluster: fake.identity, log: log))
        // A new generation claiming the folder empties it first.
        try stage(fake, 3, in: staging)
        try staging.claim(for: earlier)
        #expect(try staging.contents().staged == [])
        #expect(try FileSystem.list(staging.path).sorted() == ["generation"])
    }

    @Test func theFirstRecoveryAdoptsWhatARestoreStagedFromTheSameSourceOnce() throws {
        let fake = try FakeDataDirectory()
        let staging = try archive(fake, through: 3)
        let restore = RecoveryGeneration(source: generation.source, runner: "restore 42 at 1700000000")
        try staging.start(for: restore)
        try stage(fake, 2, in: staging, generation: restore)
        try stage(fake, 3, in: staging, generation: restore)
        // The first postmaster adopts the restore's files: they are served, checked like its own.
        let served = try staging.claim(for: generation)
        #expect(served == [generation.text, restore.text])
        #expect(try staging.claim(for: generation) == served)
        #expect(staging.take(fake.name(2), to: fake.wal + "/RECOVERYXLOG", generations: served, cluster: fake.identity, log: log))
        // The next postmaster (a restart) adopts nothing: the folder is emptied.
        let restarted = RecoveryGeneration(source: generation.source, runner: "postmaster 11 started 1700000100")
        #expect(try staging.claim(for: restarted) == [restarted.text])
        #expect(try staging.contents().staged == [])
        // A restore's files from another cluster or repository are never adopted.
        try staging.start(for: RecoveryGeneration(source: "15-1 file:///other", runner: "restore 43 at 1700000200"))
        try stage(fake, 3, in: staging, generation: RecoveryGeneration(source: "15-1 file:///other", runner: "restore 43 at 1700000200"))
        #expect(try staging.claim(for: generation) == [generation.text])
        #expect(try staging.contents().staged == [])
    }

    @Test func restoreStagesWhatFitsInHalfTheFreeSpace() {
        #expect(WALPrestager.fitting(100, segmentSize: .standard, available: 800 << 20) == 25)
        #expect(WALPrestager.fitting(10, segmentSize: .standard, available: 800 << 20) == 10)
        #expect(WALPrestager.fitting(10, segmentSize: .standard, available: 20 << 20) == 0)
    }

    @Test func theRequestBelongsToItsGeneration() throws {
        let fake = try FakeDataDirectory()
        let staging = try archive(fake, through: 1)
        try staging.writeRequest(fake.name(1), generation: generation)
        #expect(staging.request(for: generation) == fake.name(1))
        #expect(staging.request(for: RecoveryGeneration(source: "15-2 file:///repo", runner: "postmaster 10 started 1700000000")) == nil)
        // Overwritten in place: a shorter record leaves nothing of the longer one behind.
        let longer = RecoveryGeneration(source: "15-1 file:///repo", runner: "postmaster 10 started 1700000000 and more")
        try staging.writeRequest(fake.name(1), generation: longer)
        try staging.writeRequest(fake.name(2), generation: generation)
        #expect(staging.request(for: generation) == fake.name(2))
        // A read that meets a write half-way (here: one byte of another record) is no request.
        var bytes = try FileSystem.readFile(staging.path + "/request")
        bytes[bytes.count - 20] ^= 1
        try fake.write(staging.path + "/request", bytes)
        #expect(staging.request(for: generation) == nil)
        // Cut short, even to its check line alone without the line's end, it is no request either.
        for cut in [Array(bytes.dropLast()), Array("check=1234abcd".utf8)] {
            try fake.write(staging.path + "/request", cut)
            #expect(staging.request(for: generation) == nil)
        }
    }

    @Test func theWindowFollowsTheRequestAcrossAnXLogIDBoundary() throws {
        let size = try WALSegmentSize(bytes: 1 << 30)
        let request = try WALSegmentName(parsing: "000000030000000500000002")
        #expect(Prefetcher.segments(after: request, depth: 3, segmentSize: size).map(\.fileName) == [
            "000000030000000500000003", "000000030000000600000000", "000000030000000600000001",
        ])
    }

    @Test func theRequestedSegmentAndLaterOnesStayOlderPositionsAndTimelinesGo() throws {
        let request = try WALSegmentName(parsing: "000000020000000000000010")
        // Later on the request's timeline or a later one: the window, or what restore staged along its plan.
        let kept = try ["000000020000000000000010", "000000020000000000000011", "000000020000000000000040", "000000030000000100000000"]
            .map { try WALSegmentName(parsing: $0) }
        let dropped = try ["00000002000000000000000F", "000000010000000000000011", "000000030000000000000010", "00000003000000000000000F"]
            .map { try WALSegmentName(parsing: $0) }
        #expect(kept.allSatisfy { Prefetcher.keeps($0, request: request) })
        #expect(dropped.allSatisfy { !Prefetcher.keeps($0, request: request) })
    }

    @Test func aSegmentWhoseFirstPageIsOutsideTheLineageIsRefused() throws {
        let fake = try FakeDataDirectory()
        // Segment 2 of timeline 3 beginning with records of timeline 2, where timeline 3 descends from 1 only.
        let path = try fake.makeSegment(2, timeline: 3, headerTimeline: 2)
        _ = try WALPush(repository: fake.repository(), options: ObjectOptions(compression: .lz4), log: log).push(path: path)
        let download = ArchivedFileDownload(repository: fake.repository(), identity: fake.identity)
        let target = fake.root + "/staged"
        #expect(throws: PrefetchError.self) {
            try download.download(.segment(fake.name(2, timeline: 3)), to: target, lineage: [TimelineID(1), TimelineID(3)])
        }
        #expect(!FileSystem.exists(target))
        #expect(try download.download(.segment(fake.name(2, timeline: 3)), to: target, lineage: [TimelineID(1), TimelineID(2), TimelineID(3)]) != nil)
    }

    /// wal-fetch's partial file has no name (O_TMPFILE); where it must have one, a download into the folder first
    /// removes those of processes that are gone, and leaves a live process's alone.
    @Test func aDownloadWithoutANameLeavesNothingAndANamedOneClearsAbandonedOnes() throws {
        let fake = try FakeDataDirectory()
        _ = try archive(fake, through: 2)
        let download = ArchivedFileDownload(repository: fake.repository(), identity: fake.identity)
        let destination = fake.wal + "/RECOVERYXLOG"
        #expect(try download.download(.segment(fake.name(2)), to: destination, partial: .unnamed) != nil)
        #expect(try FileSystem.readFile(destination) == FileSystem.readFile(fake.wal + "/" + fake.name(2).fileName))
        // Over an existing destination, as a rename would.
        #expect(try download.download(.segment(fake.name(1)), to: destination, partial: .unnamed) != nil)
        #expect(try FileSystem.readFile(destination) == FileSystem.readFile(fake.wal + "/" + fake.name(1).fileName))
        #expect(try FileSystem.list(fake.wal).filter { $0.hasPrefix(".") } == [])

        let abandoned = [".RECOVERYXLOG.999999999.0123456789abcdef.tmp", ".RECOVERYXLOG.999999998.tmp"]
        let live = ".RECOVERYXLOG.1.fedcba9876543210.tmp"  // pid 1 runs
        for entry in abandoned + [live, ".OTHER.999999999.0123456789abcdef.tmp"] { try fake.write(fake.wal + "/" + entry, [1]) }
        try TemporaryFile.removeAbandoned(for: "RECOVERYXLOG", in: fake.wal)
        #expect(try FileSystem.list(fake.wal).filter { $0.hasPrefix(".") }.sorted() == [".OTHER.999999999.0123456789abcdef.tmp", live])
    }

    @Test func aMissingHistoryIsNotFoundWithoutCheckingTheRepository() throws {
        let fake = try FakeDataDirectory()
        let fetch = WALFetch(repository: fake.repository(), log: log)
        // No repository at all: a history miss is still "not found", a segment miss is an error.
        #expect(try fetch.fetch(name: "00000005.history", to: fake.wal + "/RECOVERYHISTORY") == .notFound)
        #expect(throws: ArchiveError.self) { try fetch.fetch(name: fake.name(9).fileName, to: fake.wal + "/RECOVERYXLOG") }
    }
}
