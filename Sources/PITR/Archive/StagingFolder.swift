import PITRNative
import PITRRepository
import PITRSupport
import PITRWAL

/// The prefetcher's staging folder, `pg_wal/tailtown-pitr/prefetch/`:
/// - `<segment>`: a verified segment, with `<segment>.staged` beside it (`MetadataText`: the
///   recovery generation, the size and the `StagedChecksum` of the file), written before the
///   segment takes its name and removed before it; a segment without it is never served. A
///   handed-over segment keeps both (PostgreSQL's copy is a hard link to it) until the prefetcher
///   removes them off PostgreSQL's path, once the request has moved past it;
/// - `<segment>.verified`: the file's `FileStamp` when the prefetcher checked it again ahead of
///   its hand-over, and when (`verifyAhead`);
/// - `generation`: the recovery the folder's content belongs to; a wal-fetch of another
///   generation empties the folder first, unless it adopts what a restore staged (`adopted`:
///   that restore's generation, whose files the recovery is served too);
/// - `request`: the generation and the last segment wal-fetch was asked for, with its CRC-32C;
///   the prefetcher stages the segments after it;
/// - `lock`: held (flock) by the one running prefetcher; `prefetcher.log`: its messages (`DetachedHelper`);
/// - `.<name>.<pid>.<random>.tmp`: a download in progress.
package struct StagingFolder {
    package let path: String

    package init(path: String) { self.path = path }

    static let stagedSuffix = ".staged"
    /// How long a check ahead of the hand-over stands for one at the hand-over.
    static let verifiedLifetime = 10.0
    private var generationPath: String { path + "/generation" }
    private var adoptedPath: String { path + "/adopted" }
    private var requestPath: String { path + "/request" }

    package func file(_ segment: WALSegmentName) -> String { path + "/" + segment.fileName }
    package func sidecar(_ segment: WALSegmentName) -> String { file(segment) + StagingFolder.stagedSuffix }
    private func verifiedRecord(_ segment: WALSegmentName) -> String { file(segment) + ".verified" }

    /// Makes the folder belong to `generation` and returns the generations whose staged files it
    /// may be served: its own, and the restore's it adopted (`RecoveryGeneration.adopts`). When the
    /// folder belonged to another generation (or to none), every staged and temporary file is
    /// removed before the generation is recorded.
    @discardableResult
    func claim(for generation: RecoveryGeneration) throws -> Set<String> {
        try FileSystem.makeDirectories(path)
        let recorded = Self.text(at: generationPath)
        if recorded == generation.text { return Set([generation.text] + [Self.text(at: adoptedPath)].compactMap { $0 }) }
        if let recorded, generation.adopts(recorded) {
            try AtomicFile.write(Array(recorded.utf8), to: adoptedPath, mode: 0o600, durable: false)
            try AtomicFile.write(Array(generation.text.utf8), to: generationPath, mode: 0o600, durable: false)
            return [generation.text, recorded]
        }
        try removeStaged()
        try AtomicFile.write(Array(generation.text.utf8), to: generationPath, mode: 0o600, durable: false)
        return [generation.text]
    }

    /// Records that what is staged from now on belongs to `generation` (a restore's, before any
    /// recovery runs), on an empty folder.
    package func start(for generation: RecoveryGeneration) throws {
        try FileSystem.makeDirectories(path)
        try removeStaged()
        try AtomicFile.write(Array(generation.text.utf8), to: generationPath, mode: 0o600, durable: false)
    }

    /// Removes every staged, sidecar and temporary file, and the record of an adopted restore
    /// (not the lock, the log, the request or the generation).
    func removeStaged() throws {
        guard FileSystem.isDirectory(path) else { return }
        for entry in try FileSystem.list(path) where !["lock", "prefetcher.log", "request", "generation"].contains(entry) {
            try FileSystem.remove(path + "/" + entry)
        }
    }

    /// Records the segment wal-fetch was asked for. The file is overwritten in place: a rename over
    /// it would free the old file's block, and where the file system is mounted with `discard`
    /// that is a discard request PostgreSQL would wait for at every segment (about 0.7 ms here).
    /// Its CRC-32C line lets `request(for:)` tell a read that met the write half-way.
    func writeRequest(_ segment: WALSegmentName, generation: RecoveryGeneration) throws {
        let text = MetadataText([("generation", generation.text), ("segment", segment.fileName)]).bytes
        let check = MetadataText([("check", Self.check(text))]).bytes
        try SystemFile.openForWriting(requestPath).overwrite(text + check)
    }

    /// The last request, if it belongs to `generation` and was read whole (nil for a read during a
    /// write: the prefetcher reads it again shortly).
    func request(for generation: RecoveryGeneration) -> WALSegmentName? {
        guard let bytes = try? FileSystem.readFile(requestPath),
              let text = try? MetadataText(parsing: bytes, object: requestPath),
              let check = text.values.last, check.key == "check" else { return nil }
        let checkLine = MetadataText([check]).bytes
        guard bytes.count >= checkLine.count, Array(bytes.suffix(checkLine.count)) == checkLine,
              check.value == Self.check(Array(bytes.dropLast(checkLine.count))),
              text["generation"] == generation.text else { return nil }
        return text["segment"].flatMap { try? WALSegmentName(parsing: $0) }
    }

    private static func check(_ bytes: [UInt8]) -> String {
        String(CRC32C.checksum(bytes), radix: 16)
    }

    /// One listing: the segments staged with their sidecar, in order, and segment files without one
    /// (left by an interrupted `remove`), which are never served.
    func contents() throws -> (staged: [WALSegmentName], orphaned: [WALSegmentName]) {
        guard FileSystem.isDirectory(path) else { return ([], []) }
        let entries = Set(try FileSystem.list(path))
        var staged: [WALSegmentName] = [], orphaned: [WALSegmentName] = []
        for entry in entries {
            if entry.hasSuffix(StagingFolder.stagedSuffix) {
                if let segment = try? WALSegmentName(parsing: entry.dropLast(StagingFolder.stagedSuffix.count)) { staged.append(segment) }
            } else if let segment = try? WALSegmentName(parsing: entry), !entries.contains(entry + StagingFolder.stagedSuffix) {
                orphaned.append(segment)
            }
        }
        return (staged.sorted(), orphaned.sorted())
    }

    /// True while a download of `segment` is in progress: its temporary file exists and the
    /// process named in it (`.<name>.<pid>.<random>.tmp`) is alive, so a killed prefetcher's leftover is no reason to wait.
    func isDownloading(_ segment: WALSegmentName) -> Bool {
        ((try? FileSystem.list(path)) ?? []).contains { entry in
            TemporaryFile(entry: entry).map { $0.name == segment.fileName && $0.isLive } ?? false
        }
    }

    /// Removes temporary files whose process is gone (a killed prefetcher's partial downloads).
    func removeAbandonedDownloads() throws {
        guard FileSystem.isDirectory(path) else { return }
        for entry in try FileSystem.list(path) {
            if let temporary = TemporaryFile(entry: entry), !temporary.isLive {
                try FileSystem.remove(path + "/" + entry)
            }
        }
    }

    /// Writes the sidecar of `segment` for `verified`, the file downloaded and verified under a
    /// temporary name, to be called before that file is renamed into place. `checksum` is that of
    /// the bytes written to it, which passed verification: the hand-over checks exactly those.
    package func writeSidecar(_ segment: WALSegmentName, verified: String, checksum: StagedChecksum, generation: RecoveryGeneration) throws {
        let text = MetadataText([
            ("generation", generation.text),
            ("size", String(try SystemFile.openForReading(verified).size())),
            ("checksum", checksum.text),
        ])
        // Not synced: a sidecar lost or torn in a crash only means its file is not served and is fetched again.
        try AtomicFile.write(text.bytes, to: sidecar(segment), mode: 0o600, durable: false)
    }

    /// Removes the sidecar first: what an interruption leaves is never served.
    package func remove(_ segment: WALSegmentName) throws {
        try FileSystem.remove(sidecar(segment))
        try FileSystem.remove(verifiedRecord(segment))
        try FileSystem.remove(file(segment))
    }

    /// Checks the staged `segment` again as `take` would (size and checksum against its sidecar)
    /// and records the file's stamp: a hand-over within `verifiedLifetime` seconds that finds the
    /// file unchanged need not read it again. PostgreSQL waits for the hand-over; the prefetcher
    /// does this meanwhile, on the other core. A damaged file is removed (and staged again); a file
    /// changed too recently for its stamp to tell a later change (`FileStamp.isSettled`) is left
    /// for the next round.
    func verifyAhead(_ segment: WALSegmentName, log: Log) {
        guard FileSystem.exists(sidecar(segment)) else { return }
        do {
            let text = try MetadataText(parsing: FileSystem.readFile(sidecar(segment)), object: sidecar(segment))
            let file = try SystemFile.openForReading(file(segment))
            let stamp = try FileStamp(file)
            guard stamp.isSettled(), !wasVerified(segment, stamp: stamp, within: Self.verifiedLifetime / 2) else { return }
            let checked = FileStamp.wallClock()
            // One thread: there is time until the hand-over, and the other core is replaying.
            guard text["size"] == String(stamp.size), try StagedChecksum(file: file, onTwoThreads: false).text == text["checksum"] else {
                throw StagingProblem("its size or checksum differs from the one recorded when it was staged")
            }
            guard try FileStamp(file) == stamp else { return }
            try AtomicFile.write(MetadataText([("stamp", stamp.text), ("checked", String(checked))]).bytes, to: verifiedRecord(segment), mode: 0o600, durable: false)
        } catch {
            log.warning("staged '\(file(segment))' is removed and staged again: \(error)")
            try? remove(segment)
        }
    }

    /// Whether `verifyAhead` found the file with this stamp intact less than `lifetime` seconds ago.
    private func wasVerified(_ segment: WALSegmentName, stamp: FileStamp, within lifetime: Double) -> Bool {
        guard let bytes = try? FileSystem.readFile(verifiedRecord(segment)),
              let record = try? MetadataText(parsing: bytes, object: verifiedRecord(segment)),
              record["stamp"] == stamp.text, let checked = record["checked"].flatMap(Double.init) else { return false }
        return (0...lifetime).contains(FileStamp.wallClock() - checked)
    }

    /// Hands the staged `segment` over to `destination` by a hard link once it checks out again:
    /// its sidecar names one of `generations` (what `claim` returned), its size and checksum match
    /// the sidecar (the checksum computed again, unless `verifyAhead` did it and the file has not
    /// changed since), and its page header is `segment`'s of `cluster`. Returns false, having
    /// removed the staged file, when any check fails or nothing is staged.
    ///
    /// PostgreSQL waits for this check at every segment, hence a checksum at memory speed rather
    /// than the repository's SHA-256 digest: the prefetcher already authenticated the content.
    /// A link rather than a rename, so that when PostgreSQL unlinks its copy the file's pages are
    /// not freed on its path (about 0.8 ms per 16 MiB), and the sidecar stays: removing it would
    /// free a block, a synchronous discard on a file system mounted with `discard`. The prefetcher
    /// removes both once the request has moved on.
    func take(_ segment: WALSegmentName, to destination: String, generations: Set<String>,
              cluster: ClusterIdentity, log: Log) -> Bool {
        guard FileSystem.exists(sidecar(segment)) else { return false }
        do {
            let bytes = try FileSystem.readFile(sidecar(segment))
            let text = try MetadataText(parsing: bytes, object: sidecar(segment))
            let file = try SystemFile.openForReading(file(segment))
            let stamp = try FileStamp(file)
            guard let staged = text["generation"], generations.contains(staged), text["size"] == String(stamp.size) else {
                throw StagingProblem("it was staged for another recovery or has the wrong size")
            }
            _ = try WALPageHeader.validateSegment(file, as: segment, cluster: cluster)
            if !wasVerified(segment, stamp: stamp, within: Self.verifiedLifetime) {
                guard try StagedChecksum(file: file).text == text["checksum"] else {
                    throw StagingProblem("its checksum differs from the one recorded when it was staged")
                }
            }
            do {
                try FileSystem.link(file.path, to: destination)
            } catch {
                try FileSystem.rename(file.path, to: destination)  // a destination left in place
                try remove(segment)
            }
            return true
        } catch {
            log.warning("staged '\(file(segment))' is not served and is fetched again: \(error)")
            try? remove(segment)
            return false
        }
    }

    private static func text(at path: String) -> String? {
        (try? FileSystem.readFile(path)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Why a staged file was refused, for the log line.
    private struct StagingProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
