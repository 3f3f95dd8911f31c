#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The prefetcher's staging folder, `pg_wal/tailtown-pitr/prefetch/`:
/// - `<segment>`: a verified segment, with `<segment>.staged` beside it (`MetadataText`: the
///   recovery generation, the size and the `StagedChecksum` of the file), written before the
///   segment takes its name; a segment without it is never served: it was handed over (a hard
///   link to PostgreSQL's copy, which the prefetcher removes off PostgreSQL's path);
/// - `generation`: the recovery the folder's content belongs to; a wal-fetch of another
///   generation empties the folder first, unless it adopts what a restore staged (`adopted`:
///   that restore's generation, whose files the recovery is served too);
/// - `request`: the generation and the last segment wal-fetch was asked for; the prefetcher
///   stages the segments after it;
/// - `lock`: held (flock) by the one running prefetcher; `prefetcher.log`: its messages (`DetachedHelper`);
/// - `.<name>.<pid>.tmp`: a download in progress.
struct StagingFolder {
    let path: String

    static let stagedSuffix = ".staged"
    private var generationPath: String { path + "/generation" }
    private var adoptedPath: String { path + "/adopted" }
    private var requestPath: String { path + "/request" }

    func file(_ segment: WALSegmentName) -> String { path + "/" + segment.fileName }
    func sidecar(_ segment: WALSegmentName) -> String { file(segment) + StagingFolder.stagedSuffix }

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
            try writeAtomically(adoptedPath, Array(recorded.utf8))
            try writeAtomically(generationPath, Array(generation.text.utf8))
            return [generation.text, recorded]
        }
        try removeStaged()
        try writeAtomically(generationPath, Array(generation.text.utf8))
        return [generation.text]
    }

    /// Records that what is staged from now on belongs to `generation` (a restore's, before any
    /// recovery runs), on an empty folder.
    func start(for generation: RecoveryGeneration) throws {
        try FileSystem.makeDirectories(path)
        try removeStaged()
        try writeAtomically(generationPath, Array(generation.text.utf8))
    }

    /// Removes every staged, sidecar and temporary file, and the record of an adopted restore
    /// (not the lock, the log, the request or the generation).
    func removeStaged() throws {
        guard FileSystem.isDirectory(path) else { return }
        for entry in try FileSystem.list(path) where !["lock", "prefetcher.log", "request", "generation"].contains(entry) {
            try FileSystem.remove(path + "/" + entry)
        }
    }

    /// Records the segment wal-fetch was asked for.
    func writeRequest(_ segment: WALSegmentName, generation: RecoveryGeneration) throws {
        try writeAtomically(requestPath, MetadataText([("generation", generation.text), ("segment", segment.fileName)]).bytes)
    }

    /// The last request, if it belongs to `generation`.
    func request(for generation: RecoveryGeneration) -> WALSegmentName? {
        guard let bytes = try? FileSystem.readFile(requestPath),
              let text = try? MetadataText(parsing: bytes, object: requestPath),
              text["generation"] == generation.text else { return nil }
        return text["segment"].flatMap { try? WALSegmentName(parsing: $0) }
    }

    /// One listing: the segments staged with their sidecar, in order, and those already handed
    /// over (a segment file whose sidecar is gone: `take` removes the sidecar, never writes one back).
    func contents() throws -> (staged: [WALSegmentName], handedOver: [WALSegmentName]) {
        guard FileSystem.isDirectory(path) else { return ([], []) }
        let entries = Set(try FileSystem.list(path))
        var staged: [WALSegmentName] = [], handedOver: [WALSegmentName] = []
        for entry in entries {
            if entry.hasSuffix(StagingFolder.stagedSuffix) {
                if let segment = try? WALSegmentName(parsing: entry.dropLast(StagingFolder.stagedSuffix.count)) { staged.append(segment) }
            } else if let segment = try? WALSegmentName(parsing: entry), !entries.contains(entry + StagingFolder.stagedSuffix) {
                handedOver.append(segment)
            }
        }
        return (staged.sorted(), handedOver.sorted())
    }

    /// True while a download of `segment` is in progress: its temporary file exists and the
    /// process named in it (`.<name>.<pid>.tmp`) is alive, so a killed prefetcher's leftover is no reason to wait.
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
    func writeSidecar(_ segment: WALSegmentName, verified: String, checksum: StagedChecksum, generation: RecoveryGeneration) throws {
        let text = MetadataText([
            ("generation", generation.text),
            ("size", String(try SystemFile.openForReading(verified).size())),
            ("checksum", checksum.text),
        ])
        try writeAtomically(sidecar(segment), text.bytes)
    }

    func remove(_ segment: WALSegmentName) throws {
        try FileSystem.remove(file(segment))
        try FileSystem.remove(sidecar(segment))
    }

    /// Hands the staged `segment` over to `destination` by a hard link once it checks out again:
    /// its sidecar names one of `generations` (what `claim` returned), its size and checksum (computed again) match the sidecar,
    /// and its page header is `segment`'s of `cluster`. Returns false, having removed the staged
    /// file, when any check fails or nothing is staged.
    ///
    /// PostgreSQL waits for this check at every segment, hence a checksum at memory speed rather
    /// than the repository's SHA-256 digest: the prefetcher already authenticated the content.
    /// A link rather than a rename, so that when PostgreSQL unlinks its copy the file's pages are
    /// not freed on its path (about 0.8 ms per 16 MiB): the prefetcher removes the staged name later.
    func take(_ segment: WALSegmentName, to destination: String, generations: Set<String>,
              cluster: ClusterIdentity, log: Log) -> Bool {
        guard FileSystem.exists(sidecar(segment)) else { return false }
        do {
            let bytes = try FileSystem.readFile(sidecar(segment))
            let text = try MetadataText(parsing: bytes, object: sidecar(segment))
            let file = try SystemFile.openForReading(file(segment))
            let size = try file.size()
            guard let staged = text["generation"], generations.contains(staged), text["size"] == String(size) else {
                throw StagingProblem("it was staged for another recovery or has the wrong size")
            }
            _ = try WALPageHeader.validateSegment(file, as: segment, cluster: cluster)
            guard try StagedChecksum(file: file).text == text["checksum"] else {
                throw StagingProblem("its checksum differs from the one recorded when it was staged")
            }
            do {
                try FileSystem.link(file.path, to: destination)
            } catch {
                try FileSystem.rename(file.path, to: destination)  // a destination left in place
            }
            try FileSystem.remove(sidecar(segment))
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

    private func writeAtomically(_ target: String, _ bytes: [UInt8]) throws {
        let temporary = FileSystem.temporaryName(for: target)
        try FileSystem.remove(temporary)
        do {
            try SystemFile.createExclusive(temporary, mode: 0o600).write(bytes)
            try FileSystem.rename(temporary, to: target)
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }
    }

    /// Why a staged file was refused, for the log line.
    private struct StagingProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
