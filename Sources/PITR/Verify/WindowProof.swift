import PITRNative
import PITRPipeline
import PITRRepository
import PITRStorage
import PITRSupport
import PITRWAL

/// What `verify --window` proved of one cluster's archive, kept sealed in the repository as
/// `verify/window-<archive id>.<sequence>`, one object per run, never replaced (`RecordSeries`; an earlier release's
/// `verify.window.<archive id>` counts as sequence 0; docs/format.md): the outcome of the last run, for `check` and
/// `status`, and each sound, complete segment with the stamp of the object it was read from, so that a later run reads
/// only the segments that are new or whose object changed.
public struct WindowProof: Equatable, Sendable {
    /// The last run's outcome.
    public struct Outcome: Equatable, Sendable {
        public let time: UTCTime
        public let provenStart: PostgresTimestamp?
        public let provenEnd: PostgresTimestamp?
        public let unprovableSeconds: Int64
        public let unprovableStretches: Int
    }

    /// A proven segment: the stamp of its object when it was read, and its facts.
    struct Entry: Equatable, Sendable {
        let stamp: String
        let facts: SegmentFacts
    }

    public var outcome: Outcome
    var segments: [String: Entry]

    static func series(of archive: ClusterIdentity) -> RecordSeries { RecordSeries.windowProof(of: archive) }

    /// A stamp that changes whenever the object does: a digest of its trailer (the keyed digest of its content),
    /// its size and its modification time.
    static func stamp(trailer: [UInt8], size: Int, modified: UTCTime?) throws -> String {
        let text = Array("\(size) \(modified?.secondsSinceEpoch ?? -1) ".utf8) + trailer
        return hex(Array(try SHA256Hasher.digest(text).prefix(16)))
    }

    /// The newest proof of `archive` that authenticates (`RecordSeries.standingWindowProof`: each newer one is warned
    /// of), or nil when none was stored, or none is sealed (put there without the key), which counts as nothing proven.
    public static func load(archive: ClusterIdentity, from repository: Repository) throws -> WindowProof? {
        guard let standing = try RecordSeries.standingWindowProof(of: archive, in: series(of: archive).listing(on: repository.storage),
                                                                  of: repository).standing else { return nil }
        let text = standing.text
        let object = repository.storage.describe(standing.entry.object.key)
        func time(_ field: String) throws -> PostgresTimestamp? {
            guard let value = text[field], !value.isEmpty else { return nil }
            return try PostgresTimestamp(parsing: value)
        }
        guard text["format"] == "1", let run = text["time"].flatMap(UTCTime.init(iso8601:)),
              let seconds = Int64(text["unprovable-seconds"] ?? ""), let count = Int(text["unprovable-stretches"] ?? "") else {
            throw WindowProofError.unreadable(object: object, reason: "its format, time or outcome is missing")
        }
        var segments: [String: Entry] = [:]
        for line in text.all("segment") {
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count == 5, let end = try? LSN(parsing: parts[2]) else {
                throw WindowProofError.unreadable(object: object, reason: "bad segment line '\(line)'")
            }
            func commit(_ field: String) -> PostgresTimestamp? { Int64(field).map(PostgresTimestamp.init(rawValue:)) }
            segments[parts[0]] = Entry(stamp: parts[1], facts: SegmentFacts(end: end, firstCommit: commit(parts[3]), lastCommit: commit(parts[4])))
        }
        do {
            return WindowProof(outcome: Outcome(time: run, provenStart: try time("proven-start"), provenEnd: try time("proven-end"),
                                                unprovableSeconds: seconds, unprovableStretches: count), segments: segments)
        } catch {
            throw WindowProofError.unreadable(object: object, reason: "\(error)")
        }
    }

    /// Stores the proof sealed under the repository's key, under the next name of its series.
    func save(archive: ClusterIdentity, in repository: Repository) throws {
        let series = Self.series(of: archive)
        _ = try series.append(series.kinds[0], on: repository.storage) { key in
            try SealedMetadata.store(text(archive: archive), at: key, identity: try RecordSeries.windowProofIdentity(of: archive, key, in: repository),
                                     under: repository.key, in: repository, compression: .zstd)
        }
    }

    /// The proof as stored.
    func text(archive: ClusterIdentity) -> MetadataText {
        var lines: [(key: String, value: String)] = [
            ("format", "1"), ("archive", archive.archiveID), ("time", outcome.time.iso8601),
            ("proven-start", outcome.provenStart?.description ?? ""), ("proven-end", outcome.provenEnd?.description ?? ""),
            ("unprovable-seconds", String(outcome.unprovableSeconds)), ("unprovable-stretches", String(outcome.unprovableStretches)),
        ]
        for (name, entry) in segments.sorted(by: { $0.key < $1.key }) {
            let first = entry.facts.firstCommit.map { String($0.rawValue) } ?? "-"
            let last = entry.facts.lastCommit.map { String($0.rawValue) } ?? "-"
            lines.append(("segment", "\(name) \(entry.stamp) \(entry.facts.end) \(first) \(last)"))
        }
        return MetadataText(lines)
    }
}
